import { join } from "node:path";
import { numbered, parseCpuList, readInt, readTrimmed, round1 } from "./sysfs.ts";

/**
 * CPU frequency (cpufreq) and the kernel's thermal-throttle counters (x86 only), per online CPU.
 * Paths are found once; the values are re-read every sample.
 */

export interface CpuFiles {
  freq: { cur: string; max: string }[];
  /**
   * Throttle counters, deduplicated: core_throttle_count is per physical core (shown on both hyper-threads)
   * and package_throttle_count per package (shown on every CPU of it). Summing every CPU's files would
   * count one event many times.
   */
  throttle: string[];
}

export async function discoverCpuFiles(root: string): Promise<CpuFiles> {
  const base = join(root, "sys/devices/system/cpu");
  const online = parseCpuList(await readTrimmed(join(base, "online")));
  const freq: CpuFiles["freq"] = [];
  const throttle: string[] = [];
  const seenCores = new Set<string>();
  const seenPackages = new Set<string>();
  for (const cpu of await numbered(base, "cpu")) {
    const n = Number(cpu.slice(3));
    if (online && !online.has(n)) continue;
    const dir = join(base, cpu);
    const cur = join(dir, "cpufreq/scaling_cur_freq");
    const max = join(dir, "cpufreq/cpuinfo_max_freq");
    if ((await readInt(cur)) !== null && (await readInt(max)) !== null) freq.push({ cur, max });
    const coreCount = join(dir, "thermal_throttle/core_throttle_count");
    if ((await readInt(coreCount)) === null) continue;
    // Without topology every CPU stands alone: over-counting is better than dropping events.
    const pkg = (await readTrimmed(join(dir, "topology/physical_package_id"))) ?? `cpu${n}`;
    const core = (await readTrimmed(join(dir, "topology/core_id"))) ?? `cpu${n}`;
    if (!seenCores.has(`${pkg}/${core}`)) {
      seenCores.add(`${pkg}/${core}`);
      throttle.push(coreCount);
    }
    const pkgCount = join(dir, "thermal_throttle/package_throttle_count");
    if (!seenPackages.has(pkg) && (await readInt(pkgCount)) !== null) {
      seenPackages.add(pkg);
      throttle.push(pkgCount);
    }
  }
  return { freq, throttle };
}

export interface CpuReading {
  /** Average over online CPUs, MHz. */
  freqMHz: number | null;
  freqMaxMHz: number | null;
  throttleEventsTotal: number | null;
  vanished: boolean;
}

export async function readCpuFiles(files: CpuFiles): Promise<CpuReading> {
  const [freqs, counts] = await Promise.all([
    Promise.all(files.freq.map(async (f) => ({ cur: await readInt(f.cur), max: await readInt(f.max) }))),
    Promise.all(files.throttle.map(readInt)),
  ]);
  const valid = freqs.filter((f): f is { cur: number; max: number } => f.cur !== null && f.max !== null);
  const vanished = valid.length < freqs.length || counts.some((c) => c === null);
  // cpufreq files are in kHz.
  const avg = (xs: number[]) => (xs.length > 0 ? round1(xs.reduce((a, b) => a + b, 0) / xs.length / 1000) : null);
  const total = counts.length > 0 && counts.every((c) => c !== null) ? counts.reduce((a, b) => a + b, 0) : null;
  return {
    freqMHz: avg(valid.map((f) => f.cur)),
    freqMaxMHz: avg(valid.map((f) => f.max)),
    throttleEventsTotal: total,
    vanished,
  };
}

/** Frequency below this share of maximum while the CPU is this busy means it is being held back. */
export const THROTTLE_FREQ_SHARE = 0.6;
export const THROTTLE_LOAD_PCT = 80;

/**
 * Whether the CPU is throttling now. Where the kernel keeps throttle counters, they decide: any event since
 * the previous sample. Elsewhere (AMD, Arm, most VMs) the sign is the frequency held far below its maximum
 * while the CPU is busy: an idle CPU clocks down on purpose, a busy one only when it must.
 */
export function throttlingState(o: {
  prevEvents: number | null;
  events: number | null;
  freqMHz: number | null;
  freqMaxMHz: number | null;
  loadPct: number;
}): boolean | null {
  if (o.events !== null) return o.prevEvents === null ? null : o.events > o.prevEvents;
  if (o.freqMHz === null || o.freqMaxMHz === null || o.freqMaxMHz <= 0) return null;
  return o.loadPct > THROTTLE_LOAD_PCT && o.freqMHz < THROTTLE_FREQ_SHARE * o.freqMaxMHz;
}
