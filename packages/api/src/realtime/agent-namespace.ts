import {
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  agentHandshakeSchema,
  eventsReportSchema,
  inventorySchema,
  type ServerToAgentEvents,
  telemetryReportSchema,
} from "@labfleet/protocol";
import type { Server, Socket } from "socket.io";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { storeAgentEvents } from "../services/agent-events.ts";
import type { Db } from "../services/deps.ts";
import { authenticateDevice, recordInventory } from "../services/device.ts";
import { storeTelemetry } from "../services/telemetry.ts";
import { type EdgeCounters, handle, refusal } from "./handle.ts";
import type { FleetHub } from "./hub.ts";

interface AgentSocketData {
  deviceId: string;
  inventoryHash: string | null;
  log: Logger;
}
type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, AgentSocketData>;

/** The `/agent` namespace: devices authenticate with their credential in the handshake, then report. */
export function attachAgentNamespace(io: Server, deps: { db: Db; hub: FleetHub; counters: EdgeCounters }): void {
  const { db, hub, counters } = deps;
  const nsp = io.of(AGENT_NAMESPACE);

  nsp.use(async (socket, next) => {
    const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      counters.count("BAD_REQUEST");
      next(
        refusal(
          new AppError("BAD_REQUEST", "The handshake must carry deviceId, secret, protocolVersion and agentVersion."),
        ),
      );
      return;
    }
    try {
      const device = await authenticateDevice(db, parsed.data);
      socket.data.deviceId = device.id;
      socket.data.inventoryHash = device.inventoryHash;
      socket.data.log = db.log.child({ deviceId: device.id });
      next();
    } catch (e) {
      const err = refusal(e);
      counters.count(err.data.code);
      db.log.warn({ deviceId: parsed.data.deviceId, code: err.data.code }, "agent connection refused");
      next(err);
    }
  });

  nsp.on("connection", (raw) => {
    const socket = raw as AgentSocket;
    const { deviceId, log } = socket.data;
    const ctx = { log, counters };
    log.info({ address: socket.handshake.address }, "agent connected");
    hub.agentConnected(deviceId, socket, { inventoryHash: socket.data.inventoryHash });

    handle(
      socket,
      "inventory:report",
      inventorySchema,
      async (inventory) => {
        const changed = await recordInventory(db, deviceId, inventory);
        if (changed) await hub.publishDevice(deviceId);
        return { changed };
      },
      ctx,
    );

    handle(
      socket,
      "telemetry:report",
      telemetryReportSchema,
      async ({ samples }) => {
        const stored = await storeTelemetry(db, deviceId, samples);
        await hub.samplesStored(deviceId, samples);
        return { stored };
      },
      ctx,
    );

    handle(
      socket,
      "events:report",
      eventsReportSchema,
      async ({ events }) => ({ stored: await storeAgentEvents(db, deviceId, events) }),
      ctx,
    );

    socket.on("disconnect", (reason) => {
      log.info({ reason }, "agent disconnected");
      hub
        .agentDisconnected(deviceId, socket)
        .catch((err: unknown) => log.error({ err }, "disconnect bookkeeping failed"));
    });
  });
}
