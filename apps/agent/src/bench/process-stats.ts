import { readFile } from "node:fs/promises";

async function statusKb(pid: number, field: string): Promise<number | null> {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(await readFile(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident memory of a process, bytes, from /proc/PID/status (VmRSS, in kB). */
export function readRssBytes(pid: number): Promise<number | null> {
  return statusKb(pid, "VmRSS");
}

/**
 * The anonymous part of it (RssAnon): the process's own heap and data, without the pages of the node
 * binary and libraries that VmRSS also counts (about 35–40 MB for any Node 20 process).
 */
export function readRssAnonBytes(pid: number): Promise<number | null> {
  return statusKb(pid, "RssAnon");
}

/** User + system CPU time of a process, in clock ticks (USER_HZ, 100 on Linux), from /proc/PID/stat. */
export async function readCpuTicks(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after its last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_S = 100;

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? null;
}
