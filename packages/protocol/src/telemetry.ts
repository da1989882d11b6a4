import { z } from "zod";
import { bytesSchema, epochMsSchema, percentSchema } from "./common.ts";
import { wireErrorSchema } from "./errors.ts";
import { LIMITS } from "./limits.ts";

function nullableNumber(min: number, max: number) {
  return z.number().min(min).max(max).nullable().default(null);
}

export const fanSchema = z.object({ label: z.string().max(64), rpm: z.number().min(0).max(100_000) });

export const gpuSampleSchema = z.object({
  index: z.number().int().min(0).max(64),
  name: z.string().max(128).nullable(),
  utilPct: percentSchema.nullable(),
  memUsedBytes: bytesSchema.nullable(),
  memTotalBytes: bytesSchema.nullable(),
  tempC: z.number().min(-50).max(200).nullable(),
  powerW: z.number().min(0).max(10_000).nullable(),
});
export type GpuSample = z.infer<typeof gpuSampleSchema>;

export const batterySampleSchema = z.object({
  percent: percentSchema.nullable(),
  charging: z.boolean().nullable(),
  /** Discharge (or charge) power, where the battery reports it. */
  powerW: z.number().min(0).max(1000).nullable(),
});

/**
 * One telemetry sample. Values the hardware does not expose are `null`, never a made-up 0.
 * Fields are flat with their unit in the name.
 */
export const telemetrySampleSchema = z.object({
  /** When the sample was taken, epoch ms. Together with the device id it identifies the sample. */
  ts: epochMsSchema,
  /** CPU busy share over the last interval, all cores. */
  cpuLoadPct: percentSchema,
  /** CPU busy share per logical core, in core order. */
  cpuPerCorePct: z.array(percentSchema).max(LIMITS.maxCores),
  /** 1-minute load average; null where the OS has none. */
  loadAvg1: z.number().min(0).max(100_000).nullable(),
  memTotalBytes: bytesSchema,
  memUsedBytes: bytesSchema,
  memAvailableBytes: bytesSchema,
  /** CPU package (or hottest CPU) temperature; null where no sensor is exposed. */
  cpuTempC: z.number().min(-50).max(200).nullable(),
  uptimeS: z.number().min(0).max(1e10).nullable(),

  // The fields below were added after version 1's first slice; an agent that does not send them means null.
  loadAvg5: nullableNumber(0, 100_000),
  loadAvg15: nullableNumber(0, 100_000),
  swapTotalBytes: bytesSchema.nullable().default(null),
  swapUsedBytes: bytesSchema.nullable().default(null),
  /** The hottest temperature sensor of the machine (any chip), and its label (e.g. "nvme Composite"). */
  hottestTempC: nullableNumber(-50, 200),
  hottestSensor: z.string().max(64).nullable().default(null),
  /** Current average and maximum CPU frequency. */
  cpuFreqMHz: nullableNumber(0, 20_000),
  cpuFreqMaxMHz: nullableNumber(0, 20_000),
  /** Whether the CPU is being throttled now (thermal_throttle counters moved, or frequency held far below max under load). */
  throttling: z.boolean().nullable().default(null),
  /** Cumulative thermal-throttle events reported by the kernel since boot, all CPUs. */
  throttleEventsTotal: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().default(null),
  fans: z.array(fanSchema).max(32).default([]),
  /** Whole-machine or package power, from RAPL energy counters or hwmon power sensors. */
  powerW: nullableNumber(0, 10_000),
  powerSource: z.enum(["rapl", "hwmon", "battery"]).nullable().default(null),
  gpus: z.array(gpuSampleSchema).max(16).default([]),
  /** The root filesystem (or the agent's data filesystem). */
  diskUsedBytes: bytesSchema.nullable().default(null),
  diskTotalBytes: bytesSchema.nullable().default(null),
  diskReadBps: nullableNumber(0, 1e12),
  diskWriteBps: nullableNumber(0, 1e12),
  netRxBps: nullableNumber(0, 1e12),
  netTxBps: nullableNumber(0, 1e12),
  battery: batterySampleSchema.nullable().default(null),
  /** Set on a roll-up: how many raw samples this one summarises (the offline buffer keeps 10 s roll-ups). */
  aggregatedCount: z.number().int().min(1).max(1_000_000).nullable().default(null),
});
export type TelemetrySample = z.infer<typeof telemetrySampleSchema>;
/** What an agent may send: the fields added after the first slice may be left out. */
export type TelemetrySampleInput = z.input<typeof telemetrySampleSchema>;

/** A batch of samples, oldest first. A live agent sends one; a reconnecting agent replays many. */
export const telemetryReportSchema = z.object({
  // Samples are keyed by (device, ts): a replayed batch is stored once.
  samples: z.array(telemetrySampleSchema).min(1).max(LIMITS.maxSamplesPerBatch),
});
export type TelemetryReport = z.infer<typeof telemetryReportSchema>;
export type TelemetryReportInput = z.input<typeof telemetryReportSchema>;

export const telemetryReportAckSchema = z.object({
  /** Samples newly stored; duplicates of already stored samples are not counted. */
  stored: z.number().int().min(0),
});
export type TelemetryReportAck = z.infer<typeof telemetryReportAckSchema>;

/**
 * The live lane, where the server offers it (`AgentConfig.pushConfirmMs`): each new sample goes as a
 * `telemetry:push` without an ack of its own, and the server confirms them together. Pushes are numbered by the
 * order they arrive on the connection, from 1; the numbering starts again with each connection.
 */
export const telemetryPushedSchema = z.object({
  /** Every push up to this one (on this connection) has been handled: stored, or refused with `telemetry:refused`. */
  upTo: z.number().int().min(1),
  /** Samples newly stored by the pushes this confirmation covers that the previous one did not. */
  stored: z.number().int().min(0),
});
export type TelemetryPushed = z.infer<typeof telemetryPushedSchema>;

/** One push that was not stored, and why: sent at once, before the confirmation that covers its number. */
export const telemetryRefusedSchema = z.object({
  push: z.number().int().min(1),
  error: wireErrorSchema,
});
export type TelemetryRefused = z.infer<typeof telemetryRefusedSchema>;
