import type { LatencyStats, RunSystemStats, TelemetrySample } from "@labfleet/protocol";

/** Nearest-rank percentile of an ascending array. */
function nearestRank(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Latency statistics of the measured iterations, in ms; null when nothing was measured. */
export function latencyStats(latenciesMs: ArrayLike<number>): LatencyStats | null {
  if (latenciesMs.length === 0) return null;
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function present<T>(values: Array<T | null | undefined>): T[] {
  return values.filter((v): v is T => v !== null && v !== undefined);
}

/**
 * What the hardware did during the measured phase, from the agent's own telemetry samples. A value stays null
 * when no sample carried it (no sensor, no RAPL/hwmon power): a made-up 0 would read as a measurement.
 * Energy per inference is mean power × measured time ÷ items, so it includes the machine's idle draw.
 */
export function systemStats(samples: TelemetrySample[], measuredMs: number, items: number): RunSystemStats {
  const freqs = present(samples.map((s) => s.cpuFreqMHz));
  const throttling = present(samples.map((s) => s.throttling));
  const temps = present(samples.map((s) => s.cpuTempC));
  const powerWMean = mean(present(samples.map((s) => s.powerW)));
  return {
    cpuLoadPctMean: mean(samples.map((s) => s.cpuLoadPct)),
    cpuTempCMax: temps.length === 0 ? null : Math.max(...temps),
    freqMHzMean: mean(freqs),
    freqMHzMax: freqs.length === 0 ? null : Math.max(...freqs),
    throttledShare: throttling.length === 0 ? null : throttling.filter(Boolean).length / throttling.length,
    powerWMean,
    energyJPerInference:
      powerWMean === null || items <= 0 || measuredMs <= 0 ? null : (powerWMean * (measuredMs / 1000)) / items,
  };
}
