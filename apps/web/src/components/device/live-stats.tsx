import type { SampleDigest, TelemetrySample } from "@labfleet/protocol";
import { formatMemPair, formatPercent, formatTempC, formatUptime, MISSING } from "@/lib/format";

function Stat({
  label,
  value,
  sub,
  title,
  testId,
}: {
  label: string;
  value: string;
  sub?: string;
  title?: string;
  testId?: string;
}) {
  return (
    <div className="rounded-lg bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-lg font-semibold text-slate-900 tabular-nums" title={title} data-testid={testId}>
        {value}
      </dd>
      {sub && <dd className="text-xs text-slate-500 tabular-nums">{sub}</dd>}
    </div>
  );
}

/**
 * The latest sample: a whole one while the device is watched live, or, before the first one arrives (an offline
 * device, a page still connecting), the few fields its summary carries.
 */
export type LatestSample = SampleDigest & Partial<TelemetrySample>;

/** The latest sample in numbers, above the chart. */
export function LiveStats({ sample }: { sample: LatestSample | null }) {
  const memPct = sample && sample.memTotalBytes > 0 ? (sample.memUsedBytes / sample.memTotalBytes) * 100 : null;
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      <Stat label="CPU" value={formatPercent(sample?.cpuLoadPct, 1)} testId="device-cpu" />
      <Stat
        label="Memory"
        value={formatPercent(memPct, 0)}
        sub={sample ? formatMemPair(sample.memUsedBytes, sample.memTotalBytes) : undefined}
        testId="device-mem"
      />
      <Stat
        label="CPU temperature"
        value={formatTempC(sample?.cpuTempC)}
        title={sample && sample.cpuTempC == null ? "no sensor" : undefined}
        testId="device-temp"
      />
      <Stat label="Load (1 min)" value={sample?.loadAvg1 != null ? sample.loadAvg1.toFixed(2) : MISSING} />
      <Stat label="Uptime" value={formatUptime(sample?.uptimeS)} />
    </dl>
  );
}
