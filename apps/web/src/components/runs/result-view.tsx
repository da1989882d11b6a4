import type { RunResult } from "@labfleet/protocol";
import type { ReactNode } from "react";
import { Card } from "@/components/ui/notice";
import { formatPercent, formatTempC, MISSING } from "@/lib/format";
import { formatAccuracy, formatMs, formatThroughput } from "./run-meta";

/** A value the device's hardware does not report: said so in words, never shown as 0. */
export function NotExposed() {
  return (
    <span className="text-slate-400 italic" data-testid="not-exposed">
      not exposed
    </span>
  );
}

function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-lg font-semibold text-slate-900 tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function formatMHz(v: number | null): ReactNode {
  return v === null ? <NotExposed /> : `${(v / 1_000).toFixed(2)} GHz`;
}

function formatEnergy(j: number | null): ReactNode {
  if (j === null) return <NotExposed />;
  return j >= 1 ? `${j.toFixed(2)} J` : `${(j * 1_000).toFixed(1)} mJ`;
}

/** Latency percentiles, throughput and accuracy; then what the hardware did during the run. */
export function ResultView({ result }: { result: RunResult }) {
  const lat = result.latencyMs;
  const sys = result.system;
  return (
    <div className="space-y-4">
      <Card title="Performance">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          <Stat label="Throughput" value={formatThroughput(result.throughputPerS)} testId="result-throughput" />
          <Stat label="Accuracy" value={formatAccuracy(result.accuracy)} testId="result-accuracy" />
          <Stat label="p50 latency" value={formatMs(lat?.p50)} testId="result-p50" />
          <Stat label="p95 latency" value={formatMs(lat?.p95)} testId="result-p95" />
        </dl>
        {lat && (
          <table className="mt-4 w-full max-w-2xl text-sm" data-testid="latency-table">
            <thead className="text-xs text-slate-500">
              <tr>
                {["Count", "Mean", "p50", "p90", "p95", "p99", "Max"].map((h) => (
                  <th key={h} className="py-1 text-right font-medium first:text-left">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr className="tabular-nums text-slate-800">
                <td className="py-1">{lat.count}</td>
                {[lat.mean, lat.p50, lat.p90, lat.p95, lat.p99, lat.max].map((v, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a fixed row of seven columns.
                  <td key={i} className="py-1 text-right">
                    {formatMs(v)}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
        )}
        {result.llm && (
          <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-3">
            <Stat label="Time to first token" value={formatMs(result.llm.timeToFirstTokenMs)} />
            <Stat label="Prompt" value={`${result.llm.promptTokensPerS.toFixed(1)} tok/s`} />
            <Stat label="Generation" value={`${result.llm.generationTokensPerS.toFixed(1)} tok/s`} />
            <div className="col-span-full">
              <dt className="text-xs text-slate-500">Generated text</dt>
              <dd className="mt-1 rounded bg-slate-50 p-2 font-mono text-xs whitespace-pre-wrap text-slate-700">
                {result.llm.generatedText || MISSING}
              </dd>
            </div>
          </dl>
        )}
      </Card>
      <Card title="The hardware during the run">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          <Stat
            label="CPU load (mean)"
            value={sys.cpuLoadPctMean === null ? <NotExposed /> : formatPercent(sys.cpuLoadPctMean)}
            testId="result-cpu-load"
          />
          <Stat
            label="Hottest CPU temperature"
            value={sys.cpuTempCMax === null ? <NotExposed /> : formatTempC(sys.cpuTempCMax)}
            testId="result-temp"
          />
          <Stat label="Frequency (mean)" value={formatMHz(sys.freqMHzMean)} testId="result-freq" />
          <Stat label="Frequency (max)" value={formatMHz(sys.freqMHzMax)} />
          <Stat
            label="Time spent throttled"
            value={sys.throttledShare === null ? <NotExposed /> : formatPercent(sys.throttledShare * 100)}
            testId="result-throttled"
          />
          <Stat
            label="Power (mean)"
            value={sys.powerWMean === null ? <NotExposed /> : `${sys.powerWMean.toFixed(1)} W`}
          />
          <Stat label="Energy per inference" value={formatEnergy(sys.energyJPerInference)} testId="result-energy" />
        </dl>
      </Card>
    </div>
  );
}
