import { z } from "zod";
import { bytesSchema, epochMsSchema, percentSchema } from "./common.ts";
import { LIMITS } from "./limits.ts";

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
});
export type TelemetrySample = z.infer<typeof telemetrySampleSchema>;

/** A batch of samples, oldest first. A live agent sends one; a reconnecting agent replays many. */
export const telemetryReportSchema = z.object({
  samples: z.array(telemetrySampleSchema).min(1).max(LIMITS.maxSamplesPerBatch),
});
export type TelemetryReport = z.infer<typeof telemetryReportSchema>;

export const telemetryReportAckSchema = z.object({
  /** Samples newly stored; duplicates of already stored samples are not counted. */
  stored: z.number().int().min(0),
});
export type TelemetryReportAck = z.infer<typeof telemetryReportAckSchema>;
