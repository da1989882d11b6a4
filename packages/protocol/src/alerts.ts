import { z } from "zod";
import { epochMsSchema } from "./common.ts";

/** What an alert is about. Each kind has one rule (a default, overridable per lab). */
export const ALERT_KINDS = [
  "cpu_temp",
  "throttling",
  "offline",
  "disk_full",
  "memory_high",
  "workload_failed",
] as const;
export const alertKindSchema = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof alertKindSchema>;

/** firing → acknowledged (a person saw it) → resolved (the condition cleared); firing may resolve directly. */
export const ALERT_STATES = ["firing", "acknowledged", "resolved"] as const;
export const alertStateSchema = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof alertStateSchema>;

/** One alert as the dashboards show it; also the `alert:updated` broadcast and the webhook's `alert`. */
export const alertSummarySchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  deviceName: z.string(),
  labId: z.string().nullable(),
  kind: alertKindSchema,
  state: alertStateSchema,
  message: z.string(),
  /** The value that fired it, in the kind's unit (°C, %, seconds offline); null for kinds without one. */
  value: z.number().nullable(),
  firedAt: epochMsSchema,
  acknowledgedAt: epochMsSchema.nullable(),
  /** Who acknowledged it (display name), when someone did. */
  acknowledgedBy: z.string().nullable(),
  resolvedAt: epochMsSchema.nullable(),
});
export type AlertSummary = z.infer<typeof alertSummarySchema>;

export const WEBHOOK_EVENTS = ["alert.fired", "alert.acknowledged", "alert.resolved", "webhook.test"] as const;
export const webhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/**
 * The JSON body POSTed to a webhook. Headers: `X-LabFleet-Event` (the event), `X-LabFleet-Delivery` (the
 * delivery id, the same on every retry) and `X-LabFleet-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
 */
export const webhookPayloadSchema = z.object({
  event: webhookEventSchema,
  alert: alertSummarySchema.nullable(),
  device: z.object({ id: z.string(), name: z.string(), hostname: z.string(), labId: z.string().nullable() }).nullable(),
  sentAt: epochMsSchema,
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export const WEBHOOK_HEADERS = {
  event: "x-labfleet-event",
  delivery: "x-labfleet-delivery",
  signature: "x-labfleet-signature",
} as const;
