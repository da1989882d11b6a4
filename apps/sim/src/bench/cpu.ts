import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; null where /proc is absent. */
function processCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), so split after the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineJiffies(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export interface CpuWindow {
  /** Cores' worth of CPU the control plane used (1.0 = one core fully busy). */
  serverCores: number | null;
  /** Same for this process: the simulator's 1,000 sockets (and the bench's own bookkeeping). */
  simCores: number | null;
  /** Share of all cores of the machine that were busy. */
  machineBusy: number | null;
}

/** Starts measuring; the returned function ends the window and gives the averages over it. */
export function cpuWindow(serverPid: number): () => CpuWindow {
  const t0 = performance.now();
  const server0 = processCpuS(serverPid);
  const sim0 = process.cpuUsage();
  const m0 = machineJiffies();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const server1 = processCpuS(serverPid);
    const sim = process.cpuUsage(sim0);
    const m1 = machineJiffies();
    return {
      serverCores: server0 !== null && server1 !== null ? (server1 - server0) / wallS : null,
      simCores: (sim.user + sim.system) / 1e6 / wallS,
      machineBusy: m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : null,
    };
  };
}

/** CPU seconds of every process, summed by command name (postgres, chromium, node, ...). */
function cpuByCommand(): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const s = (Number(fields[11]) + Number(fields[12])) / 100;
      out.set(comm, (out.get(comm) ?? 0) + s);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return out;
}

/** Starts measuring every process; the returned function gives the busiest commands, in cores, over the window. */
export function topWindow(): () => { command: string; cores: number }[] {
  const t0 = performance.now();
  const before = cpuByCommand();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const after = cpuByCommand();
    return [...after]
      .map(([command, s]) => ({ command, cores: Math.max(0, s - (before.get(command) ?? 0)) / wallS }))
      .sort((a, b) => b.cores - a.cores)
      .slice(0, 5);
  };
}
