import { z } from "zod";
import { epochMsSchema } from "./common.ts";
import { signedRunResultSchema } from "./models.ts";

/** Kinds of agent events. Events are never dropped by the agent's buffer, unlike telemetry. */
export const agentEventKindSchema = z.enum([
  "agent.started",
  "buffer.loss",
  "throttling.started",
  "throttling.stopped",
  "collector.failed",
  /** A run ended (any final status): `result` holds the signed result; the key is `run:<runId>`. */
  "run.finished",
]);
export type AgentEventKind = z.infer<typeof agentEventKindSchema>;

export const agentEventSchema = z
  .object({
    /** Idempotency key, unique per device (a UUID): the server stores each event once, however often it is replayed. */
    key: z.string().min(8).max(72),
    ts: epochMsSchema,
    kind: agentEventKindSchema,
    /** Small, kind-specific details (e.g. { droppedSamples: 120 } for buffer.loss). */
    data: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).default({}),
    /** Present exactly when kind is run.finished. */
    result: signedRunResultSchema.optional(),
  })
  .refine((e) => (e.kind === "run.finished") === (e.result !== undefined), {
    message: "a run.finished event carries a result, and only it does",
    path: ["result"],
  });
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentEventInput = z.input<typeof agentEventSchema>;

export const eventsReportSchema = z.object({
  events: z.array(agentEventSchema).min(1).max(500),
});
export type EventsReport = z.infer<typeof eventsReportSchema>;
export type EventsReportInput = z.input<typeof eventsReportSchema>;
