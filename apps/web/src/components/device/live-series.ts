import type { TelemetrySample } from "@labfleet/protocol";
import type { AlignedData } from "uplot";

/**
 * A hole longer than this (a reboot, a network cut) is drawn as a gap, not a straight line across it.
 * Unwatched devices report every ~10 s, so history from before the page opened must still join up.
 */
export const GAP_MS = 30_000;

export type Pick = (s: TelemetrySample) => number | null | undefined;

/** uPlot columns: time in seconds, then one column per pick, with a null row in every gap longer than `gapMs`. */
export function toColumns(samples: readonly TelemetrySample[], picks: readonly Pick[], gapMs = GAP_MS): AlignedData {
  const xs: number[] = [];
  const cols: (number | null)[][] = picks.map(() => []);
  let prevTs: number | null = null;
  for (const s of samples) {
    if (prevTs !== null && s.ts - prevTs > gapMs) {
      xs.push((prevTs + 1) / 1000);
      for (const c of cols) c.push(null);
    }
    xs.push(s.ts / 1000);
    picks.forEach((pick, i) => {
      const v = pick(s);
      cols[i]?.push(v == null || !Number.isFinite(v) ? null : v);
    });
    prevTs = s.ts;
  }
  return [xs, ...cols];
}

/** Whether any sample has a value for this pick: a series that is all null is not drawn. */
export function hasData(samples: readonly TelemetrySample[], pick: Pick): boolean {
  for (const s of samples) {
    const v = pick(s);
    if (v != null && Number.isFinite(v)) return true;
  }
  return false;
}

export const pct = (part: number | null | undefined, whole: number | null | undefined): number | null =>
  part == null || whole == null || whole <= 0 ? null : (part / whole) * 100;

/** How many cores and GPUs the newest samples show (a device may change, e.g. a GPU driver loads). */
export function widths(samples: readonly TelemetrySample[]): { cores: number; gpus: number } {
  let cores = 0;
  let gpus = 0;
  for (let i = samples.length - 1; i >= 0 && i >= samples.length - 10; i--) {
    const s = samples[i];
    if (!s) continue;
    cores = Math.max(cores, s.cpuPerCorePct.length);
    gpus = Math.max(gpus, s.gpus.length);
  }
  return { cores, gpus };
}
