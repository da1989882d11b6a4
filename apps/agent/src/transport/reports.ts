import {
  type AgentToServerEvents,
  ackSchema,
  type InventoryInput,
  type ServerToAgentEvents,
  type TelemetrySample,
  telemetryReportAckSchema,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import type { Socket } from "socket.io-client";
import { z } from "zod";
import type { Sampler } from "../collectors/sampler.ts";
import type { Logger } from "../logger.ts";

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

// The protocol types this ack inline in its event map; it has no exported schema.
const inventoryAckSchema = ackSchema(z.object({ changed: z.boolean() }));
const telemetryAckSchema = ackSchema(telemetryReportAckSchema);

export interface ReportContext {
  log: Logger;
  ackTimeoutMs: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Emits the inventory and logs the server's answer. Not awaited beyond the emit: telemetry must not
 * wait for the server to store an inventory.
 */
export function reportInventory(socket: AgentSocket, inventory: InventoryInput, ctx: ReportContext): void {
  socket
    .timeout(ctx.ackTimeoutMs)
    .emitWithAck("inventory:report", inventory)
    .then((res) => {
      const ack = inventoryAckSchema.safeParse(res);
      if (!ack.success) ctx.log.warn("the server answered inventory:report with something unexpected");
      else if (!ack.data.ok) {
        ctx.log.warn({ code: ack.data.error.code, reason: ack.data.error.message }, "the server refused the inventory");
      } else ctx.log.info({ changed: ack.data.data.changed }, "inventory reported");
    })
    .catch(() => ctx.log.warn({ timeoutMs: ctx.ackTimeoutMs }, "no answer to inventory:report"));
}

/** A sample that passes the protocol's schema, or null (logged) when the sampler failed or produced garbage. */
export async function takeValidSample(sampler: Sampler, log: Logger): Promise<TelemetrySample | null> {
  let sample: unknown;
  try {
    sample = await sampler.sample();
  } catch (e) {
    log.error({ err: errText(e) }, "cannot take a telemetry sample");
    return null;
  }
  const parsed = telemetrySampleSchema.safeParse(sample);
  if (!parsed.success) {
    log.error(
      { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      "a sample failed validation; not sent",
    );
    return null;
  }
  return parsed.data;
}

/**
 * Sends one sample and logs a refusal with its code. Never throws: a lost or refused report must not
 * take the agent down. `stillCurrent` keeps a timeout on a socket that was since replaced out of the log.
 */
export async function reportTelemetry(
  socket: AgentSocket,
  sample: TelemetrySample,
  ctx: ReportContext & { stillCurrent: () => boolean },
): Promise<void> {
  try {
    const res = await socket.timeout(ctx.ackTimeoutMs).emitWithAck("telemetry:report", { samples: [sample] });
    const ack = telemetryAckSchema.safeParse(res);
    if (!ack.success) ctx.log.warn("the server answered telemetry:report with something unexpected");
    else if (!ack.data.ok) {
      ctx.log.warn(
        { code: ack.data.error.code, reason: ack.data.error.message },
        "the server refused a telemetry report",
      );
    } else ctx.log.debug({ stored: ack.data.data.stored }, "telemetry reported");
  } catch {
    if (ctx.stillCurrent()) ctx.log.warn({ timeoutMs: ctx.ackTimeoutMs }, "no answer to telemetry:report");
  }
}
