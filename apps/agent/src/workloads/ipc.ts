// The messages between the run manager (agent) and the workload child, over Node's IPC channel. Both ends
// are this program, but the child still parses what it gets: a message that does not fit is a bug to report,
// not something to run.
import {
  codedErrorSchema,
  evaluationItemSchema,
  latencyStatsSchema,
  modelRuntimeSchema,
  modelTaskSchema,
  runPhaseSchema,
  runResultSchema,
  runSpecSchema,
} from "@labfleet/protocol";
import { z } from "zod";

export const workloadJobSchema = z.object({
  type: z.literal("job"),
  runId: z.string().min(1),
  runtime: modelRuntimeSchema,
  task: modelTaskSchema,
  files: z.array(z.object({ name: z.string(), role: z.string(), sha256: z.string(), path: z.string() })).min(1),
  spec: runSpecSchema,
  /** Already capped at the cores this machine has; null: the runtime's default. */
  threads: z.number().int().min(1).nullable(),
});
export type WorkloadJob = z.infer<typeof workloadJobSchema>;

export const childMessageSchema = z.discriminatedUnion("type", [
  /** The runtime loaded: its version goes into the environment card. */
  z.object({ type: z.literal("runtime"), runtimeVersion: z.string().max(64) }),
  z.object({
    type: z.literal("progress"),
    phase: runPhaseSchema,
    done: z.number().int().min(0),
    total: z.number().int().min(0).nullable(),
  }),
  z.object({
    type: z.literal("result"),
    latencyMs: latencyStatsSchema.nullable(),
    /** Items processed in the measured phase (batch × iterations, or evaluation items). */
    items: z.number().int().min(0),
    measuredMs: z.number().min(0),
    accuracy: z.number().min(0).max(1).nullable(),
    evaluation: z.array(evaluationItemSchema).max(100).nullable(),
    /** Language models: time to first token and token rates (null for every other task). */
    llm: runResultSchema.shape.llm.default(null),
  }),
  z.object({ type: z.literal("error"), error: codedErrorSchema }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;
export type RunPhase = z.infer<typeof runPhaseSchema>;
