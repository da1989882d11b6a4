import { runProgressSchema, runResultSchema, runSpecSchema, runSystemStatsSchema } from "@labfleet/protocol";
import { z } from "zod";

const versionSchema = z.object({
  id: z.string(),
  variant: z.string(),
  model: z.object({ id: z.string(), name: z.string() }),
});

/** What the run procedures answer. */
export const runSummarySchema = z.object({
  id: z.string(),
  groupId: z.string().nullable(),
  deviceId: z.string(),
  deviceName: z.string(),
  seatLabel: z.string().nullable(),
  version: versionSchema,
  kind: z.string(),
  spec: runSpecSchema.nullable(),
  status: z.string(),
  progress: runProgressSchema.nullable(),
  signatureValid: z.boolean().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  throughput: z.number().nullable(),
  accuracy: z.number().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const runDetailSchema = runSummarySchema.extend({ result: runResultSchema.nullable() });

export const groupStartSchema = z.object({
  groupId: z.string(),
  runIds: z.array(z.string()),
  skipped: z.array(z.object({ deviceId: z.string(), name: z.string(), reason: z.string() })),
});

export const runGroupViewSchema = z.object({
  id: z.string(),
  labId: z.string().nullable(),
  labName: z.string().nullable(),
  hotTempC: z.number(),
  spec: runSpecSchema.nullable(),
  createdAt: z.date(),
  version: versionSchema,
  runs: z.array(
    runSummarySchema.extend({
      system: runSystemStatsSchema.nullable(),
      flags: z.object({ throttled: z.boolean(), hot: z.boolean() }),
      /** 1 for the fastest; null for a run without a throughput (failed, still running). */
      rank: z.number().int().nullable(),
    }),
  ),
});
