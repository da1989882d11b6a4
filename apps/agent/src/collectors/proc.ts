import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Readers for Linux /proc. Every reader takes the filesystem root ("/" on a real machine, a recorded
 * tree in tests) and a pure parser does the work, so the numbers can be checked against fixtures.
 */

/** Cumulative CPU time of one line of /proc/stat, in USER_HZ ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export interface ProcStat {
  /** The aggregate "cpu" line. */
  all: CpuTimes;
  /** "cpuN" lines by N. Offline cores have no line, so N may skip. */
  cores: Map<number, CpuTimes>;
}

function cpuTimes(fields: number[]): CpuTimes {
  // user nice system idle iowait irq softirq steal guest guest_nice. guest and guest_nice are already
  // counted in user and nice, so they are left out of the total. iowait is idle time spent waiting.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

export function parseProcStat(text: string): ProcStat {
  let all: CpuTimes | null = null;
  const cores = new Map<number, CpuTimes>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("cpu")) continue;
    const [label = "", ...rest] = line.trim().split(/\s+/);
    const fields = rest.map(Number);
    if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) continue;
    if (label === "cpu") {
      all = cpuTimes(fields);
    } else {
      const index = Number(label.slice(3));
      if (Number.isInteger(index) && index >= 0) cores.set(index, cpuTimes(fields));
    }
  }
  if (!all) throw new Error("/proc/stat has no aggregate cpu line");
  return { all, cores };
}

/** Busy share between two readings, 0–100, rounded to 0.1. Null when no time passed between them. */
export function busyPct(prev: CpuTimes | undefined, next: CpuTimes): number | null {
  // A core that came online since the last read has no previous reading: use its time since boot.
  const p = prev ?? { busy: 0, total: 0 };
  const total = next.total - p.total;
  if (total <= 0) return null;
  const pct = ((next.busy - p.busy) / total) * 100;
  return Math.round(Math.min(100, Math.max(0, pct)) * 10) / 10;
}

export async function readProcStat(root = "/"): Promise<ProcStat> {
  return parseProcStat(await readFile(join(root, "proc/stat"), "utf8"));
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  /** Null only when the kernel does not report swap at all (SwapTotal missing); 0 when there is none. */
  swapTotalBytes: number | null;
  swapUsedBytes: number | null;
}

export function parseMeminfo(text: string): MemInfo {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get("MemTotal");
  if (total === undefined) throw new Error("/proc/meminfo has no MemTotal");
  // MemAvailable exists since Linux 3.14; before, free + buffers + page cache is the usual estimate.
  const available =
    kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  const totalBytes = total * 1024;
  const availableBytes = Math.min(available * 1024, totalBytes);
  const swapTotal = kb.get("SwapTotal");
  const swapFree = kb.get("SwapFree");
  const swapTotalBytes = swapTotal === undefined ? null : swapTotal * 1024;
  const swapUsedBytes =
    swapTotalBytes === null || swapFree === undefined ? null : Math.max(0, swapTotalBytes - swapFree * 1024);
  return { totalBytes, availableBytes, usedBytes: totalBytes - availableBytes, swapTotalBytes, swapUsedBytes };
}

export async function readMeminfo(root = "/"): Promise<MemInfo> {
  return parseMeminfo(await readFile(join(root, "proc/meminfo"), "utf8"));
}

/** First number of a one-line /proc file, or null when it is missing or not a number. */
async function readFirstNumber(path: string): Promise<number | null> {
  try {
    const first = (await readFile(path, "utf8")).trim().split(/\s+/)[0];
    const n = Number(first);
    return first !== undefined && first !== "" && Number.isFinite(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/** 1-minute load average. */
export function readLoadAvg1(root = "/"): Promise<number | null> {
  return readFirstNumber(join(root, "proc/loadavg"));
}

/** Seconds since boot. */
export function readUptimeS(root = "/"): Promise<number | null> {
  return readFirstNumber(join(root, "proc/uptime"));
}

/** Load averages over 1, 5 and 15 minutes; nulls when /proc/loadavg is missing or malformed. */
export async function readLoadAvg(root = "/"): Promise<[number | null, number | null, number | null]> {
  let parts: string[] = [];
  try {
    parts = (await readFile(join(root, "proc/loadavg"), "utf8")).trim().split(/\s+/);
  } catch {
    return [null, null, null];
  }
  const at = (i: number) => {
    const n = Number(parts[i]);
    return parts[i] !== undefined && parts[i] !== "" && Number.isFinite(n) && n >= 0 ? n : null;
  };
  return [at(0), at(1), at(2)];
}
