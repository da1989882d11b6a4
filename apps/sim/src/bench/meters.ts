// What a bench measures of the machine and its processes, from /proc: CPU, memory, load.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

/** CPU seconds (user + system) of a process from /proc/<pid>/stat; null when it is gone. */
export function processCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ 100
  } catch {
    return null;
  }
}

/** Resident memory of a process in bytes (VmRSS); null when it is gone. */
export function processRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineJiffies(): { busy: number; total: number } {
  const v = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** PostgreSQL backends serving one database (their process title names it): its share of the server's CPU. */
export function pgBackendPids(database: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (cmd.startsWith("postgres:") && cmd.includes(` ${database} `)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

/** CPU of several processes over a window, in cores (1.0 = one core busy the whole window). */
export function cpuMeter(pids: () => number[]): () => number {
  const t0 = performance.now();
  const start = new Map(pids().map((p) => [p, processCpuS(p) ?? 0]));
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    let used = 0;
    // A process that ended meanwhile counts nothing after its last reading; a new one counts from its start.
    for (const p of new Set([...start.keys(), ...pids()]))
      used += (processCpuS(p) ?? start.get(p) ?? 0) - (start.get(p) ?? 0);
    return used / wallS;
  };
}
