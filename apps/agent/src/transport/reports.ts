import {
  type AgentToServerEvents,
  ackSchema,
  type InventoryInput,
  type ServerToAgentEvents,
  type TelemetrySample,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import type { Socket } from "socket.io-client";
import { z } from "zod";
import type { Sampler } from "../collectors/sampler.ts";
import type { Logger } from "../logger.ts";

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

// The protocol types this ack inline in its event map; it has no exported schema.
const inventoryAckSchema = ackSchema(z.object({ changed: z.boolean() }));

export interface ReportContext {
  log: Logger;
  ackTimeoutMs: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Emits the inventory and logs the server's answer. Resolves true when the server stored it. */
export function reportInventory(socket: AgentSocket, inventory: InventoryInput, ctx: ReportContext): Promise<boolean> {
  return socket
    .timeout(ctx.ackTimeoutMs)
    .emitWithAck("inventory:report", inventory)
    .then((res) => {
      const ack = inventoryAckSchema.safeParse(res);
      if (!ack.success) {
        ctx.log.warn("the server answered inventory:report with something unexpected");
        return false;
      }
      if (!ack.data.ok) {
        ctx.log.warn({ code: ack.data.error.code, reason: ack.data.error.message }, "the server refused the inventory");
        return false;
      }
      ctx.log.info({ changed: ack.data.data.changed }, "inventory reported");
      return true;
    })
    .catch(() => {
      ctx.log.warn({ timeoutMs: ctx.ackTimeoutMs }, "no answer to inventory:report");
      return false;
    });
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
