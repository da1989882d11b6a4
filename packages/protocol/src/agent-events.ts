import { z } from "zod";
import type { Ack } from "./errors.ts";
import type { EventsReportInput } from "./events.ts";
import type { Inventory, InventoryInput } from "./inventory.ts";
import type { ModelsDesired, ModelsStatusReport, RunCancel, RunProgress, RunStartInput } from "./models.ts";
import type { TelemetryPushed, TelemetryRefused, TelemetryReportAck, TelemetrySampleInput } from "./telemetry.ts";

/** socket.io namespace for agents. */
export const AGENT_NAMESPACE = "/agent";

/** What an agent sends in the handshake's `auth` field. */
export const agentHandshakeSchema = z.object({
  deviceId: z.string().min(1).max(64),
  secret: z.string().min(1).max(256),
  protocolVersion: z.number().int().min(0),
  agentVersion: z.string().min(1).max(64),
});
export type AgentHandshake = z.infer<typeof agentHandshakeSchema>;

/** Bounds of the agent's offline buffer cap, in bytes: 1 MiB to 16 GiB. */
export const bufferMaxBytesSchema = z
  .number()
  .int()
  .min(1024 * 1024)
  .max(16 * 1024 ** 3);

/** Settings the server pushes to an agent on connect and whenever they change. */
export const agentConfigSchema = z.object({
  /** How often to send telemetry, ms. One second while a dashboard watches the device. */
  telemetryIntervalMs: z.number().int().min(250).max(3_600_000),
  /** Cap of the agent's on-disk offline buffer; the agent's own setting applies when absent. */
  bufferMaxBytes: bufferMaxBytesSchema.optional(),
  /**
   * Present when the server takes live samples as `telemetry:push` and confirms them together, at most this many
   * ms apart (one message a few seconds instead of one per sample). Absent: every report waits for its own ack.
   */
  pushConfirmMs: z.number().int().min(10).max(60_000).optional(),
  /** Most samples or events in one replayed batch. */
  maxBatch: z.number().int().min(1).max(500).optional(),
  /**
   * Sent right after connect: the fingerprint of the inventory the server holds for this device (see
   * canonicalJson), null when it holds none. The agent sends its inventory only when its own differs.
   */
  inventoryHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export const deviceRevokedSchema = z.object({ reason: z.string().max(500) });
export type DeviceRevoked = z.infer<typeof deviceRevokedSchema>;

/**
 * A new device secret, sent over the device's authenticated socket. The agent writes it to its credential
 * file and acks only then: until that ack (or a connection made with the new secret) the server keeps the old
 * secret valid, so a crash on either side mid-rotation never locks the device out.
 */
export const credentialRotateSchema = z.object({
  secret: z.string().min(32).max(256),
});
export type CredentialRotate = z.infer<typeof credentialRotateSchema>;

/** Events an agent emits; each is answered with an ack, but for `telemetry:push` (see telemetryPushedSchema). */
export interface AgentToServerEvents {
  "inventory:report": (payload: InventoryInput, ack: (res: Ack<{ changed: boolean }>) => void) => void;
  "telemetry:report": (
    payload: { samples: TelemetrySampleInput[] },
    ack: (res: Ack<TelemetryReportAck>) => void,
  ) => void;
  /** A live sample, confirmed later with the pushes before it by `telemetry:pushed` (or refused alone). */
  "telemetry:push": (payload: { samples: TelemetrySampleInput[] }) => void;
  /** Agent events, each with an idempotency key; `stored` counts the ones not seen before. */
  "events:report": (payload: EventsReportInput, ack: (res: Ack<{ stored: number }>) => void) => void;
  /** Where each desired model version is on this device (sent on connect and on every change). */
  "models:status": (payload: ModelsStatusReport, ack: (res: Ack<{ stored: number }>) => void) => void;
  /** Live progress of a run; the result itself goes through the buffer as a run.finished event. */
  "run:progress": (payload: RunProgress, ack: (res: Ack<{ ok: true }>) => void) => void;
}

/** Events the server emits to one agent. */
export interface ServerToAgentEvents {
  "config:updated": (payload: AgentConfig) => void;
  "telemetry:pushed": (payload: TelemetryPushed) => void;
  "telemetry:refused": (payload: TelemetryRefused) => void;
  "device:revoked": (payload: DeviceRevoked) => void;
  /** The full set of model versions this device should hold. */
  "models:desired": (payload: ModelsDesired) => void;
  /** Start a run; the agent acks at once (accepted, or why not), then reports progress and the result. */
  "run:start": (payload: RunStartInput, ack: (res: Ack<{ accepted: true }>) => void) => void;
  "run:cancel": (payload: RunCancel) => void;
  /** Replace the device secret (see credentialRotateSchema); the ack means it is on disk. */
  "credential:rotate": (payload: CredentialRotate, ack: (res: Ack<{ stored: true }>) => void) => void;
}

export type { Inventory };
