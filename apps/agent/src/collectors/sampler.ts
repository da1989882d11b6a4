import { existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { GpuSample, TelemetrySampleInput } from "@labfleet/protocol";
import { type DiskCounters, netRates, ratePerS, readDiskCounters, readNetCounters } from "./counters.ts";
import { type CpuFiles, discoverCpuFiles, readCpuFiles, throttlingState } from "./cpufreq.ts";
import { type DrmGpuFiles, discoverDrmGpus, readDrmGpu } from "./gpu.ts";
import { findNvidiaSmi, NvidiaSampler } from "./nvidia-smi.ts";
import { discoverRapl, findBattery, type RaplDomain, raplWatts, readBattery, readRapl } from "./power.ts";
import { busyPct, type ProcStat, readLoadAvg, readMeminfo, readProcStat, readUptimeS } from "./proc.ts";
import { discoverSensors, readSensors, type SensorFiles } from "./sensors.ts";
import { createSystemInformationSampler } from "./si-sampler.ts";
import { findCpuTempSource, readTempSource, type TempSource } from "./temperature.ts";

export interface Sampler {
  /** One telemetry sample; CPU shares and rates cover the time since the previous call. */
  sample(): Promise<TelemetrySampleInput>;
  /** Which implementation, for the startup log. */
  readonly kind: "procfs" | "systeminformation";
}

export interface ProcSamplerOptions {
  /** Filesystem root: "/" on a real machine, a recorded tree in tests. */
  root?: string;
  /** Length of the window that the very first sample measures CPU over, ms. */
  initialWindowMs?: number;
  /** Wall clock for the sample's `ts`. */
  now?: () => number;
  /** Monotonic clock (ms) that rates are computed over; a wall clock can jump. */
  monotonicMs?: () => number;
  /** nvidia-smi binary; default: looked up on PATH; null: none. */
  nvidiaSmi?: string | null;
  /** The filesystem whose usage is reported; default: the root. */
  diskPath?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Files found once per sampler, found again when one stops answering (a driver reloaded, a USB fan left). */
interface Discovered {
  sensors: SensorFiles;
  cpu: CpuFiles;
  rapl: RaplDomain[];
  drm: DrmGpuFiles[];
  battery: string | null;
  cpuTemp: TempSource | null;
}

/** The counters that the next sample's rates are computed from. */
interface Counters {
  at: number;
  disk: DiskCounters | null;
  net: Map<string, { rx: number; tx: number }> | null;
  rapl: number[] | null;
  throttleEvents: number | null;
}

/**
 * Linux sampler reading /proc and /sys directly: a few dozen small file reads, no child process (except
 * nvidia-smi where it exists, in the background at most every 5 s). Rates come from the difference
 * between this reading of the cumulative counters and the previous one.
 */
export class ProcSampler implements Sampler {
  readonly kind = "procfs";
  private readonly root: string;
  private readonly initialWindowMs: number;
  private readonly now: () => number;
  private readonly mono: () => number;
  private readonly diskPath: string;
  private readonly nvidia: NvidiaSampler | null;
  private prev: ProcStat | null = null;
  private prevCounters: Counters | null = null;
  private lastAll = 0;
  private lastCores = new Map<number, number>();
  private found: Discovered | null = null;
  private readonly spinningFans = new Set<string>();

  constructor(options: ProcSamplerOptions = {}) {
    this.root = options.root ?? "/";
    this.initialWindowMs = options.initialWindowMs ?? 250;
    this.now = options.now ?? Date.now;
    this.mono = options.monotonicMs ?? (() => performance.now());
    this.diskPath = options.diskPath ?? this.root;
    const smi = options.nvidiaSmi === undefined ? findNvidiaSmi() : options.nvidiaSmi;
    this.nvidia = smi ? new NvidiaSampler(smi, this.mono) : null;
  }

  /** Takes the reference readings that the next sample's CPU shares and rates are measured from. */
  async prime(): Promise<void> {
    const found = await this.discover();
    const [stat, counters] = await Promise.all([readProcStat(this.root), this.readCounters(found)]);
    this.prev = stat;
    this.prevCounters = counters;
  }

  async sample(): Promise<TelemetrySampleInput> {
    if (!this.prev) {
      await this.prime();
      await sleep(this.initialWindowMs);
    }
    const found = await this.discover();
    const ts = this.now();
    const [stat, mem, load, uptimeS, cpuTempC, counters, sensors, cpu, gpus, battery, disk] = await Promise.all([
      readProcStat(this.root),
      readMeminfo(this.root),
      readLoadAvg(this.root),
      readUptimeS(this.root),
      found.cpuTemp ? readTempSource(found.cpuTemp) : Promise.resolve(null),
      this.readCounters(found),
      readSensors(found.sensors, this.spinningFans),
      // The throttle counters are read with the other counters, once.
      readCpuFiles({ freq: found.cpu.freq, throttle: [] }),
      this.readGpus(found.drm),
      found.battery ? readBattery(found.battery) : Promise.resolve(null),
      this.readDisk(),
    ]);
    const throttleGone = found.cpu.throttle.length > 0 && counters.throttleEvents === null;
    if (sensors.vanished || cpu.vanished || throttleGone || (found.cpuTemp && cpuTempC === null)) this.found = null;

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

    const before = this.prevCounters;
    this.prevCounters = counters;
    const dtS = before ? (counters.at - before.at) / 1000 : 0;
    const net = before ? netRates(before.net, counters.net ?? new Map(), dtS) : null;
    const rapl = before ? raplWatts(found.rapl, before.rapl, counters.rapl, dtS) : null;
    // Battery power is the machine's power only while it runs on the battery.
    const batteryW = battery?.discharging ? battery.powerW : null;
    const [powerW, powerSource] =
      rapl !== null
        ? [rapl, "rapl" as const]
        : sensors.hwmonPowerW !== null
          ? [sensors.hwmonPowerW, "hwmon" as const]
          : batteryW !== null
            ? [batteryW, "battery" as const]
            : [null, null];

    return {
      ts,
      cpuLoadPct,
      cpuPerCorePct,
      loadAvg1: load[0],
      loadAvg5: load[1],
      loadAvg15: load[2],
      memTotalBytes: mem.totalBytes,
      memUsedBytes: mem.usedBytes,
      memAvailableBytes: mem.availableBytes,
      swapTotalBytes: mem.swapTotalBytes,
      swapUsedBytes: mem.swapUsedBytes,
      cpuTempC,
      hottestTempC: sensors.hottestTempC,
      hottestSensor: sensors.hottestSensor,
      cpuFreqMHz: cpu.freqMHz,
      cpuFreqMaxMHz: cpu.freqMaxMHz,
      throttling: throttlingState({
        prevEvents: before?.throttleEvents ?? null,
        events: counters.throttleEvents,
        freqMHz: cpu.freqMHz,
        freqMaxMHz: cpu.freqMaxMHz,
        loadPct: cpuLoadPct,
      }),
      throttleEventsTotal: counters.throttleEvents,
      fans: sensors.fans,
      powerW,
      powerSource,
      gpus,
      diskUsedBytes: disk?.used ?? null,
      diskTotalBytes: disk?.total ?? null,
      diskReadBps: counters.disk ? ratePerS(before?.disk?.readBytes, counters.disk.readBytes, dtS) : null,
      diskWriteBps: counters.disk ? ratePerS(before?.disk?.writeBytes, counters.disk.writeBytes, dtS) : null,
      netRxBps: net?.rxBps ?? null,
      netTxBps: net?.txBps ?? null,
      battery: battery ? { percent: battery.percent, charging: battery.charging, powerW: battery.powerW } : null,
      uptimeS,
    };
  }

  private async discover(): Promise<Discovered> {
    if (this.found) return this.found;
    const [sensors, cpu, rapl, drm, battery, cpuTemp] = await Promise.all([
      discoverSensors(this.root),
      discoverCpuFiles(this.root),
      discoverRapl(this.root),
      discoverDrmGpus(this.root),
      findBattery(this.root),
      findCpuTempSource(this.root),
    ]);
    this.found = { sensors, cpu, rapl, drm, battery, cpuTemp };
    return this.found;
  }

  private async readCounters(found: Discovered): Promise<Counters> {
    const [disk, net, rapl, cpu] = await Promise.all([
      readDiskCounters(this.root),
      readNetCounters(this.root),
      readRapl(found.rapl),
      found.cpu.throttle.length > 0 ? readCpuFiles({ freq: [], throttle: found.cpu.throttle }) : null,
    ]);
    return { at: this.mono(), disk, net, rapl, throttleEvents: cpu?.throttleEventsTotal ?? null };
  }

  private async readGpus(drm: DrmGpuFiles[]): Promise<GpuSample[]> {
    const [fromSysfs, fromSmi] = await Promise.all([
      Promise.all(drm.map(readDrmGpu)),
      this.nvidia ? this.nvidia.read() : Promise.resolve([]),
    ]);
    return [...fromSysfs, ...fromSmi].slice(0, 16).map((g, index) => ({ index, ...g }));
  }

  private async readDisk(): Promise<{ used: number; total: number } | null> {
    try {
      const s = await statfs(this.diskPath);
      const total = s.blocks * s.bsize;
      // Used as df counts it: blocks not free, including the root-reserved ones.
      return total > 0 ? { used: (s.blocks - s.bfree) * s.bsize, total } : null;
    } catch {
      return null;
    }
  }
}

/** Capability check: /proc where it exists, systeminformation everywhere else (macOS, Windows, BSD). */
export function createSampler(options: ProcSamplerOptions = {}): Sampler {
  const root = options.root ?? "/";
  if (process.platform === "linux" && existsSync(join(root, "proc/stat"))) return new ProcSampler(options);
  return createSystemInformationSampler();
}
