import type { TelemetrySampleInput } from "@labfleet/protocol";
import type { Hardware } from "./hardware.ts";
import { clamp, Rng } from "./rng.ts";

/**
 * How a simulated device behaves.
 * - steady: light, wandering load; cool.
 * - busy: heavy bursts (a student running benchmarks); warm but within limits.
 * - throttler: long heavy phases in a poorly cooled box: temperature climbs toward 95 °C, the CPU throttles and
 *   its frequency drops, then it cools down in the idle phase.
 * - flaky: like steady, but drops off the network for a while and comes back (and sometimes reboots).
 * - hot: pinned at 95 °C and throttling; for tests and demos of the alerting path.
 */
export const PERSONALITIES = ["steady", "busy", "throttler", "flaky", "hot"] as const;
export type Personality = (typeof PERSONALITIES)[number];

export const HOT_TEMP_C = 95;
const THROTTLE_AT_C = 90;
const AMBIENT_C = 32;

/** The share of each personality when none is forced ("hot" is only ever forced). */
export function pickPersonality(rng: Rng): Personality {
  const r = rng.next();
  if (r < 0.5) return "steady";
  if (r < 0.72) return "busy";
  if (r < 0.87) return "throttler";
  return "flaky";
}

interface Phase {
  until: number;
  /** Mean load of the phase, percent. */
  load: number;
}

/**
 * A deterministic device: the same seed, hardware and sequence of timestamps give the same samples.
 * Time steps are taken from the timestamps, so the model behaves alike at 1 s and at 10 s intervals.
 */
export class DeviceModel {
  private readonly rng: Rng;
  private lastTs: number | null = null;
  private load = 10;
  private perCore: number[];
  private tempC = AMBIENT_C + 8;
  private freqMHz: number;
  private throttling = false;
  private throttleEvents = 0;
  private memUsed: number;
  private swapUsed = 0;
  private diskUsed: number;
  private netRx = 20_000;
  private netTx = 5_000;
  private loadAvg = [0.2, 0.2, 0.2];
  private bootTs: number | null = null;
  private phase: Phase = { until: 0, load: 10 };
  /** Offline windows (flaky only): [from, to) in epoch ms, generated ahead as time advances. */
  private offlineFrom = Number.POSITIVE_INFINITY;
  private offlineTo = Number.POSITIVE_INFINITY;

  constructor(
    seed: number,
    readonly hardware: Hardware,
    readonly personality: Personality,
  ) {
    this.rng = new Rng(seed);
    this.perCore = Array.from({ length: hardware.cores }, () => 5);
    this.freqMHz = hardware.freqMaxMHz * 0.4;
    this.memUsed = hardware.memTotalBytes * this.rng.range(0.2, 0.35);
    this.diskUsed = hardware.diskTotalBytes * this.rng.range(0.2, 0.7);
    if (personality === "hot") {
      this.tempC = HOT_TEMP_C;
      this.throttling = true;
    }
  }

  /** Whether the device is connected at `ts`. Only flaky devices go away. */
  isOnline(ts: number): boolean {
    if (this.personality !== "flaky") return true;
    if (!Number.isFinite(this.offlineFrom)) this.planOffline(ts);
    while (ts >= this.offlineTo) this.planOffline(this.offlineTo);
    return ts < this.offlineFrom;
  }

  private planOffline(from: number): void {
    this.offlineFrom = from + this.rng.range(90_000, 300_000);
    this.offlineTo = this.offlineFrom + this.rng.range(20_000, 90_000);
    // Some outages are reboots: uptime starts again when it comes back.
    if (this.rng.chance(0.4)) this.bootTs = null;
  }

  /** The next sample at `ts` (epoch ms). Call with increasing timestamps. */
  sample(ts: number): TelemetrySampleInput {
    const dtS = this.lastTs === null ? 1 : clamp((ts - this.lastTs) / 1000, 0.05, 600);
    this.lastTs = ts;
    this.bootTs ??= ts - this.rng.range(600, 86_400) * 1000;
    this.stepLoad(ts, dtS);
    this.stepThermals(dtS);
    this.stepMemoryAndIo(dtS);
    return this.toSample(ts);
  }

  private stepLoad(ts: number, dtS: number): void {
    const hw = this.hardware;
    if (ts >= this.phase.until) this.phase = this.nextPhase(ts);
    // A random walk pulled toward the phase's mean: wanders, never jumps far in one step.
    const pull = 1 - Math.exp(-dtS / 8);
    this.load += (this.phase.load - this.load) * pull + this.rng.gauss() * 4 * Math.sqrt(dtS);
    this.load = clamp(this.load, 0.5, 100);
    this.perCore = this.perCore.map((c) => {
      const target = clamp(this.load + this.rng.gauss() * 12, 0, 100);
      return clamp(c + (target - c) * 0.6, 0, 100);
    });
    const busyCores = (this.load / 100) * hw.cores;
    const decay = [60, 300, 900].map((w) => Math.exp(-dtS / w));
    this.loadAvg = this.loadAvg.map((v, i) => v * (decay[i] ?? 1) + busyCores * (1 - (decay[i] ?? 1)));
  }

  private nextPhase(ts: number): Phase {
    const r = this.rng;
    switch (this.personality) {
      case "busy":
        return r.chance(0.5)
          ? { until: ts + r.range(30_000, 120_000), load: r.range(60, 95) }
          : { until: ts + r.range(30_000, 90_000), load: r.range(5, 25) };
      case "throttler":
        // Long heavy phases: enough for the temperature to climb all the way.
        return this.phase.load < 50
          ? { until: ts + r.range(120_000, 300_000), load: r.range(88, 100) }
          : { until: ts + r.range(60_000, 150_000), load: r.range(3, 15) };
      case "hot":
        return { until: ts + 60_000, load: r.range(85, 100) };
      default:
        return { until: ts + r.range(30_000, 180_000), load: r.range(2, 30) };
    }
  }

  private stepThermals(dtS: number): void {
    const hw = this.hardware;
    if (this.personality === "hot") {
      this.tempC = HOT_TEMP_C;
      this.throttling = true;
      this.throttleEvents += Math.max(1, Math.round(dtS));
      this.freqMHz = hw.freqMaxMHz * 0.55;
      return;
    }
    // Poor cooling makes a throttler's steady state under full load ~105 °C: it always reaches the throttle point.
    const rise = this.personality === "throttler" ? 0.75 : this.personality === "busy" ? 0.45 : 0.35;
    const target = AMBIENT_C + 8 + this.load * rise - (this.throttling ? 8 : 0);
    this.tempC += (target - this.tempC) * (1 - Math.exp(-dtS / 25)) + this.rng.gauss() * 0.3;
    this.tempC = clamp(this.tempC, AMBIENT_C, 99);
    // Hysteresis, as firmware does: throttle at 90 °C, release below 84 °C.
    if (this.tempC >= THROTTLE_AT_C) this.throttling = true;
    else if (this.tempC < THROTTLE_AT_C - 6) this.throttling = false;
    if (this.throttling) this.throttleEvents += Math.max(1, Math.round(dtS * 3));
    const wanted = this.throttling
      ? hw.freqMaxMHz * clamp(0.75 - (this.tempC - THROTTLE_AT_C) * 0.03, 0.45, 0.75)
      : hw.freqMaxMHz * clamp(0.3 + this.load / 110, 0.3, 1);
    this.freqMHz = clamp(wanted + this.rng.gauss() * 40, 400, hw.freqMaxMHz);
  }

  private stepMemoryAndIo(dtS: number): void {
    const hw = this.hardware;
    const r = this.rng;
    const memTarget = hw.memTotalBytes * clamp(0.25 + this.load / 250, 0.1, 0.9);
    this.memUsed = clamp(
      this.memUsed + (memTarget - this.memUsed) * 0.05 + r.gauss() * hw.memTotalBytes * 0.005,
      hw.memTotalBytes * 0.08,
      hw.memTotalBytes * 0.95,
    );
    if (hw.swapTotalBytes) {
      const pressure = this.memUsed / hw.memTotalBytes > 0.8 ? 0.02 : -0.01;
      this.swapUsed = clamp(this.swapUsed + hw.swapTotalBytes * pressure * dtS, 0, hw.swapTotalBytes);
    }
    // Network: background chatter, and now and then a model download (tens of MB/s for a while).
    const burst = r.chance(0.01 * dtS) ? r.range(20e6, 110e6) : 0;
    this.netRx = clamp(this.netRx * 0.85 + r.range(5e3, 60e3) + burst, 0, 125e6);
    this.netTx = clamp(this.netTx * 0.8 + r.range(2e3, 20e3) + (this.load > 70 ? r.range(0, 2e5) : 0), 0, 125e6);
    this.diskUsed = clamp(this.diskUsed + burst * dtS * 0.1, 0, hw.diskTotalBytes);
  }

  private toSample(ts: number): TelemetrySampleInput {
    const hw = this.hardware;
    const r = this.rng;
    const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
    const nvmeC = AMBIENT_C + 10 + this.load * 0.1 + r.gauss() * 0.5;
    const hottest = Math.max(this.tempC, nvmeC);
    const packageW = 4 + (this.load / 100) * 32 * (this.freqMHz / hw.freqMaxMHz);
    const gpuUtil = clamp(this.load * 0.5 + r.gauss() * 8, 0, 100);
    const memUsed = Math.round(this.memUsed);
    return {
      ts,
      cpuLoadPct: round(this.load),
      cpuPerCorePct: this.perCore.map((c) => round(c)),
      loadAvg1: round(this.loadAvg[0] ?? 0, 2),
      loadAvg5: round(this.loadAvg[1] ?? 0, 2),
      loadAvg15: round(this.loadAvg[2] ?? 0, 2),
      memTotalBytes: hw.memTotalBytes,
      memUsedBytes: memUsed,
      memAvailableBytes: hw.memTotalBytes - memUsed,
      swapTotalBytes: hw.swapTotalBytes,
      swapUsedBytes: hw.swapTotalBytes === null ? null : Math.round(this.swapUsed),
      cpuTempC: hw.hasTempSensor ? round(this.tempC) : null,
      hottestTempC: hw.hasTempSensor ? round(hottest) : null,
      hottestSensor: hw.hasTempSensor ? (hottest === this.tempC ? "coretemp Package id 0" : "nvme Composite") : null,
      uptimeS: Math.round((ts - (this.bootTs ?? ts)) / 1000),
      cpuFreqMHz: Math.round(this.freqMHz),
      cpuFreqMaxMHz: hw.freqMaxMHz,
      throttling: hw.hasTempSensor ? this.throttling : null,
      throttleEventsTotal: hw.hasTempSensor ? this.throttleEvents : null,
      fans: hw.hasTempSensor ? [{ label: "cpu_fan", rpm: Math.round(1200 + clamp(this.tempC - 40, 0, 60) * 60) }] : [],
      powerW: hw.hasPower ? round(packageW) : null,
      powerSource: hw.hasPower ? "rapl" : null,
      gpus: hw.gpu
        ? [
            {
              index: 0,
              name: hw.gpu.name,
              utilPct: round(gpuUtil),
              memUsedBytes: Math.round(hw.gpu.memTotalBytes * (0.1 + gpuUtil / 200)),
              memTotalBytes: hw.gpu.memTotalBytes,
              tempC: hw.hasTempSensor ? round(this.tempC - 3) : null,
              powerW: null,
            },
          ]
        : [],
      diskUsedBytes: Math.round(this.diskUsed),
      diskTotalBytes: hw.diskTotalBytes,
      diskReadBps: Math.round(clamp(r.range(0, 2e5) + this.load * r.range(0, 4e4), 0, 3e9)),
      diskWriteBps: Math.round(clamp(r.range(0, 1e5) + this.netRx * 0.5, 0, 3e9)),
      netRxBps: Math.round(this.netRx),
      netTxBps: Math.round(this.netTx),
    };
  }
}
