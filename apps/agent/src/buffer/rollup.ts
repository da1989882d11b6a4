import type { TelemetrySample } from "@labfleet/protocol";

/** Offline telemetry is kept as one roll-up per window of this length. */
export const ROLLUP_WINDOW_MS = 10_000;

/** Temperatures keep the window's maximum: a 10 s spike to 95 °C matters more than an average of 70. */
const MAX_FIELDS = new Set(["cpuTempC", "hottestTempC"]);
/** Counters and clocks keep the last value: an average of a counter means nothing. */
const LAST_FIELDS = new Set([
  "ts",
  "uptimeS",
  "throttleEventsTotal",
  "memTotalBytes",
  "swapTotalBytes",
  "diskTotalBytes",
]);

function average(values: number[], integer: boolean): number {
  const avg = values.reduce((a, b) => a + b, 0) / values.length;
  return integer ? Math.round(avg) : avg;
}

function combine(key: string, values: unknown[]): unknown {
  const last = values.at(-1);
  if (LAST_FIELDS.has(key)) return last;
  if (key === "throttling") {
    const known = values.filter((v): v is boolean => typeof v === "boolean");
    return known.length === 0 ? null : known.some(Boolean);
  }
  const numbers = values.filter((v): v is number => typeof v === "number");
  if (numbers.length > 0 && numbers.length === values.filter((v) => v !== null).length) {
    if (MAX_FIELDS.has(key)) return Math.max(...numbers);
    return average(numbers, numbers.every(Number.isInteger));
  }
  if (key === "cpuPerCorePct" && values.every((v) => Array.isArray(v) && v.length === (last as unknown[]).length)) {
    const rows = values as number[][];
    return (
      rows[0]?.map((_, i) =>
        average(
          rows.map((r) => r[i] ?? 0),
          false,
        ),
      ) ?? []
    );
  }
  // Strings, lists of devices (fans, GPUs), the battery: the latest reading stands for the window.
  return last;
}

/**
 * Summarises the samples of one window into one sample: averages (rounded for integer fields such as bytes),
 * the maximum for temperatures, the last value for counters, `throttling` true if any sample was throttled,
 * `aggregatedCount` = how many samples it stands for. Its `ts` is the last sample's, a moment that was measured.
 */
export function rollUp(samples: readonly TelemetrySample[]): TelemetrySample {
  const first = samples[0];
  if (!first) throw new Error("rollUp needs at least one sample");
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    out[key] = combine(
      key,
      samples.map((s) => (s as Record<string, unknown>)[key]),
    );
  }
  const counted = samples.reduce((n, s) => n + (s.aggregatedCount ?? 1), 0);
  return { ...(out as TelemetrySample), aggregatedCount: counted };
}

/** Collects samples by 10 s window and hands out a roll-up whenever a window is complete. */
export class RollupWindow {
  private samples: TelemetrySample[] = [];
  private window = -1;

  constructor(private readonly windowMs = ROLLUP_WINDOW_MS) {}

  /** Adds a sample; returns the roll-up of the previous window when this sample starts a new one. */
  add(sample: TelemetrySample): TelemetrySample | null {
    const w = Math.floor(sample.ts / this.windowMs);
    const done = w !== this.window ? this.flush() : null;
    this.window = w;
    this.samples.push(sample);
    return done;
  }

  /** The roll-up of the samples collected so far (a partial window), or null when there are none. */
  flush(): TelemetrySample | null {
    const samples = this.samples;
    this.samples = [];
    this.window = -1;
    return samples.length > 0 ? rollUp(samples) : null;
  }
}
