import type { RunResult } from "@labfleet/protocol";
import Link from "next/link";
import type { ReactNode } from "react";
import type { RunDetail as RunRow } from "@/components/models/api-types";
import { Badge } from "@/components/ui/badge";
import { formatPercent, formatTempC, MISSING } from "@/lib/format";
import { asResult, describeSpec, formatAccuracy, formatMs, formatThroughput, runStatusOf } from "./run-meta";
import { SignatureBadge } from "./signature-badge";

interface Row {
  label: string;
  /** A number to rank by; the best is bolded. */
  value?: (r: RunRow, res: RunResult | null) => number | null | undefined;
  better?: "higher" | "lower";
  show: (r: RunRow, res: RunResult | null) => ReactNode;
}

const ROWS: Row[] = [
  { label: "Model", show: (r) => `${r.version.model.name} · ${r.version.variant}` },
  { label: "Device", show: (r) => r.deviceName },
  { label: "Kind", show: (r) => (r.kind === "evaluation" ? "Evaluation" : "Benchmark") },
  {
    label: "Status",
    show: (r) => {
      const s = runStatusOf(r.status);
      return <Badge tone={s.tone}>{s.label}</Badge>;
    },
  },
  { label: "Spec", show: (r) => describeSpec(r.spec) },
  {
    label: "Throughput",
    value: (r) => r.throughput,
    better: "higher",
    show: (r) => formatThroughput(r.throughput),
  },
  { label: "p50", value: (_r, x) => x?.latencyMs?.p50, better: "lower", show: (_r, x) => formatMs(x?.latencyMs?.p50) },
  { label: "p90", value: (_r, x) => x?.latencyMs?.p90, better: "lower", show: (_r, x) => formatMs(x?.latencyMs?.p90) },
  { label: "p95", value: (_r, x) => x?.latencyMs?.p95, better: "lower", show: (_r, x) => formatMs(x?.latencyMs?.p95) },
  { label: "p99", value: (_r, x) => x?.latencyMs?.p99, better: "lower", show: (_r, x) => formatMs(x?.latencyMs?.p99) },
  { label: "Max", value: (_r, x) => x?.latencyMs?.max, better: "lower", show: (_r, x) => formatMs(x?.latencyMs?.max) },
  { label: "Accuracy", value: (r) => r.accuracy, better: "higher", show: (r) => formatAccuracy(r.accuracy) },
  {
    label: "CPU load",
    show: (_r, x) => (x?.system.cpuLoadPctMean == null ? "not exposed" : formatPercent(x.system.cpuLoadPctMean)),
  },
  {
    label: "Max temperature",
    show: (_r, x) => (x?.system.cpuTempCMax == null ? "not exposed" : formatTempC(x.system.cpuTempCMax)),
  },
  {
    label: "Frequency (mean)",
    show: (_r, x) =>
      x?.system.freqMHzMean == null ? "not exposed" : `${(x.system.freqMHzMean / 1000).toFixed(2)} GHz`,
  },
  {
    label: "Throttled",
    show: (_r, x) => (x?.system.throttledShare == null ? "not exposed" : formatPercent(x.system.throttledShare * 100)),
  },
  {
    label: "Energy / inference",
    value: (_r, x) => x?.system.energyJPerInference,
    better: "lower",
    show: (_r, x) =>
      x?.system.energyJPerInference == null ? "not exposed" : `${(x.system.energyJPerInference * 1000).toFixed(1)} mJ`,
  },
  { label: "CPU", show: (_r, x) => (x ? `${x.env.cpuModel} (${x.env.cpuCores} cores)` : MISSING) },
  { label: "Runtime", show: (_r, x) => (x ? `${x.env.runtime} ${x.env.runtimeVersion}` : MISSING) },
  { label: "Threads", show: (_r, x) => (x ? (x.env.threads ?? "default") : MISSING) },
  { label: "Provider", show: (_r, x) => x?.env.executionProvider ?? MISSING },
  { label: "Signature", show: (r) => <SignatureBadge valid={r.signatureValid} compact /> },
];

function bestIndex(row: Row, runs: RunRow[], results: Array<RunResult | null>): number | null {
  if (!row.value || !row.better || runs.length < 2) return null;
  let best: number | null = null;
  let bestValue = 0;
  runs.forEach((r, i) => {
    const v = row.value?.(r, results[i] ?? null);
    if (v == null || !Number.isFinite(v)) return;
    if (best === null || (row.better === "higher" ? v > bestValue : v < bestValue)) {
      best = i;
      bestValue = v;
    }
  });
  return best;
}

/** Any runs side by side: a column per run, a row per measure, the best of each row in bold. */
export function CompareTable({ runs }: { runs: RunRow[] }) {
  const results = runs.map((r) => asResult(r.result));
  return (
    <div className="overflow-x-auto rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
      <table className="w-full text-left text-sm" data-testid="compare-table">
        <thead className="border-b border-slate-200">
          <tr>
            <th className="w-40 px-4 py-2 text-xs font-medium text-slate-500 uppercase">Run</th>
            {runs.map((r) => (
              <th key={r.id} className="px-4 py-2" data-testid="compare-column">
                <Link href={`/runs/${r.id}`} className="font-medium text-sky-700 hover:underline">
                  {r.deviceName}
                </Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {ROWS.map((row) => {
            const best = bestIndex(row, runs, results);
            return (
              <tr key={row.label}>
                <th scope="row" className="px-4 py-2 text-xs font-medium text-slate-500">
                  {row.label}
                </th>
                {runs.map((r, i) => (
                  <td
                    key={r.id}
                    className={
                      best === i
                        ? "px-4 py-2 font-semibold text-slate-900 tabular-nums"
                        : "px-4 py-2 text-slate-700 tabular-nums"
                    }
                  >
                    {row.show(r, results[i] ?? null)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
