import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TelemetrySampleInput } from "@labfleet/protocol";
import { busyPct, type ProcStat, readLoadAvg1, readMeminfo, readProcStat, readUptimeS } from "./proc.ts";
import { createSystemInformationSampler } from "./si-sampler.ts";
import { findCpuTempSource, readTempSource, type TempSource } from "./temperature.ts";

export interface Sampler {
  /** One telemetry sample; CPU shares cover the time since the previous call. */
  sample(): Promise<TelemetrySampleInput>;
  /** Which implementation, for the startup log. */
  readonly kind: "procfs" | "systeminformation";
}

export interface ProcSamplerOptions {
  /** Filesystem root: "/" on a real machine, a recorded tree in tests. */
  root?: string;
  /** Length of the window that the very first sample measures CPU over, ms. */
  initialWindowMs?: number;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Linux sampler reading /proc and /sys directly: a handful of small file reads, no child process.
 * CPU busy shares come from the difference between this read of /proc/stat and the previous one.
 */
export class ProcSampler implements Sampler {
  readonly kind = "procfs";
  private readonly root: string;
  private readonly initialWindowMs: number;
  private readonly now: () => number;
  private prev: ProcStat | null = null;
  private lastAll = 0;
  private lastCores = new Map<number, number>();
  private tempSource: TempSource | null = null;

  constructor(options: ProcSamplerOptions = {}) {
    this.root = options.root ?? "/";
    this.initialWindowMs = options.initialWindowMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Takes the reference reading that the next sample's CPU shares are measured from. */
  async prime(): Promise<void> {
    this.prev = await readProcStat(this.root);
  }

  async sample(): Promise<TelemetrySampleInput> {
    if (!this.prev) {
      await this.prime();
      await sleep(this.initialWindowMs);
    }
    const ts = this.now();
    const [stat, mem, loadAvg1, uptimeS, cpuTempC] = await Promise.all([
      readProcStat(this.root),
      readMeminfo(this.root),
      readLoadAvg1(this.root),
      readUptimeS(this.root),
      this.readTemp(),
    ]);
    const prev = this.prev;
    this.prev = stat;
    // Two reads inside one clock tick show no elapsed time: repeat the last value rather than invent one.
    const cpuLoadPct = busyPct(prev?.all, stat.all) ?? this.lastAll;
    this.lastAll = cpuLoadPct;
    const cpuPerCorePct = [...stat.cores.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, times]) => {
        const pct = busyPct(prev?.cores.get(i), times) ?? this.lastCores.get(i) ?? 0;
        this.lastCores.set(i, pct);
        return pct;
      });
    return {
      ts,
      cpuLoadPct,
      cpuPerCorePct,
      loadAvg1,
      memTotalBytes: mem.totalBytes,
      memUsedBytes: mem.usedBytes,
      memAvailableBytes: mem.availableBytes,
      cpuTempC,
      uptimeS,
    };
  }

  /** The sensor is found once and re-read every sample; it is looked for again when it stops answering. */
  private async readTemp(): Promise<number | null> {
    if (!this.tempSource) this.tempSource = await findCpuTempSource(this.root);
    if (!this.tempSource) return null;
    const c = await readTempSource(this.tempSource);
    if (c === null) this.tempSource = null;
    return c;
  }
}

/** Capability check: /proc where it exists, systeminformation everywhere else (macOS, Windows, BSD). */
export function createSampler(options: ProcSamplerOptions = {}): Sampler {
  const root = options.root ?? "/";
  if (process.platform === "linux" && existsSync(join(root, "proc/stat"))) return new ProcSampler(options);
  return createSystemInformationSampler();
}
