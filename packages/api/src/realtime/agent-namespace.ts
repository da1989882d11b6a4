import {
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  agentHandshakeSchema,
  eventsReportSchema,
  inventorySchema,
  modelsStatusReportSchema,
  runProgressSchema,
  type ServerToAgentEvents,
  type TelemetrySample,
  telemetryReportSchema,
} from "@labfleet/protocol";
import type { Server, Socket } from "socket.io";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { findUnstorableText } from "../security/text.ts";
import { storeAgentEvents } from "../services/agent-events.ts";
import { applyModelsStatus } from "../services/deployments/deployments.ts";
import { advanceAllDeployments, advanceDeployment } from "../services/deployments/waves.ts";
import type { Db } from "../services/deps.ts";
import { authenticateDevice, recordInventory } from "../services/device.ts";
import { applyRunProgress, ingestRunResult } from "../services/runs/ingest.ts";
import { storeTelemetry } from "../services/telemetry.ts";
import { attachCredentialRotation } from "./credential-rotation.ts";
import { type EdgeCounters, handle, refusal } from "./handle.ts";
import { deviceRoom, type FleetHub } from "./hub.ts";
import { PushLanes } from "./telemetry-push.ts";

interface AgentSocketData {
  deviceId: string;
  inventoryHash: string | null;
  labId: string | null;
  log: Logger;
}
type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, AgentSocketData>;

/**
 * Handshakes checked at once. Each one verifies a credential and reads the database; beyond this the queue only
 * delays everyone (and starves the reports of the devices already in), and the excess is refused with BUSY, which
 * agents retry after their backoff. High enough that a restart's jittered reconnections rarely meet it (a cap of 64
 * made the bench's 3,000 devices take longer to connect, each refusal costing a whole new handshake): it is a
 * guard against a flood, not a pacer.
 */
export const MAX_HANDSHAKES_IN_FLIGHT = 512;

export interface AgentNamespaceDeps {
  db: Db;
  hub: FleetHub;
  counters: EdgeCounters;
  /** Defaults to MAX_HANDSHAKES_IN_FLIGHT. */
  maxHandshakes?: number;
  /** Most ms between confirmations of live pushes (`telemetry:push`); absent, the lane is not offered. */
  pushConfirmMs?: number;
}

/**
 * The `/agent` namespace: devices authenticate with their credential in the handshake, then report. Answers what
 * must stop with the server (the timer of the push confirmations).
 */
export function attachAgentNamespace(io: Server, deps: AgentNamespaceDeps): { close(): void } {
  const { db, hub, counters } = deps;
  const pushes = deps.pushConfirmMs ? new PushLanes({ confirmMs: deps.pushConfirmMs, counters }) : null;
  const maxHandshakes = deps.maxHandshakes ?? MAX_HANDSHAKES_IN_FLIGHT;
  let handshakes = 0;
  const nsp = io.of(AGENT_NAMESPACE);
  // A finished run may be the last of a deployment's gate: let the waves move without waiting for the job.
  const advanceAll = () => advanceAllDeployments(deps);

  nsp.use(async (socket, next) => {
    const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
    // A NUL or half an emoji in the id would fail inside the database: refused like any malformed handshake.
    if (!parsed.success || findUnstorableText(parsed.data) !== null) {
      counters.count("BAD_REQUEST");
      next(
        refusal(
          new AppError("BAD_REQUEST", "The handshake must carry deviceId, secret, protocolVersion and agentVersion."),
        ),
      );
      return;
    }
    if (handshakes >= maxHandshakes) {
      counters.count("BUSY");
      next(refusal(new AppError("BUSY", "The server is busy accepting other devices; try again shortly.")));
      return;
    }
    handshakes++;
    try {
      const device = await authenticateDevice(db, parsed.data);
      socket.data.deviceId = device.id;
      socket.data.inventoryHash = device.inventoryHash;
      socket.data.labId = device.labId;
      socket.data.log = db.log.child({ deviceId: device.id });
      next();
    } catch (e) {
      const err = refusal(e);
      counters.count(err.data.code);
      db.log.warn({ deviceId: parsed.data.deviceId, code: err.data.code }, "agent connection refused");
      next(err);
    } finally {
      handshakes--;
    }
  });

  nsp.on("connection", (raw) => {
    const socket = raw as AgentSocket;
    const { deviceId, log } = socket.data;
    const ctx = { log, counters };
    log.info({ address: socket.handshake.address }, "agent connected");
    // Its own room: commands from another control-plane process reach it through the adapter.
    void socket.join(deviceRoom(deviceId));
    hub.agentConnected(deviceId, socket, { inventoryHash: socket.data.inventoryHash, labId: socket.data.labId });
    // A device that was away (offline mid-deployment) picks up where it was from the full desired set.
    hub.sendDesiredModels(deviceId).catch((err: unknown) => log.error({ err }, "desired models not sent"));
    // A credential rotation asked for while the device was away, or one a crash cut short, completes now.
    attachCredentialRotation(socket, deviceId, { db, log });

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

    const storeSamples = async (samples: TelemetrySample[]) => {
      const stored = await storeTelemetry(db, deviceId, samples);
      await hub.samplesStored(deviceId, samples);
      return stored;
    };
    handle(
      socket,
      "telemetry:report",
      telemetryReportSchema,
      async ({ samples }) => ({ stored: await storeSamples(samples) }),
      ctx,
    );
    pushes?.attach(socket, log, storeSamples);

    handle(
      socket,
      "events:report",
      eventsReportSchema,
      async ({ events }) => {
        const stored = await storeAgentEvents(db, deviceId, events);
        // Every result is offered, not only newly stored ones: a result whose event was stored just before a
        // crash must still land. Ingesting is idempotent (only an open run of this device changes).
        let finished = false;
        for (const e of events) {
          if (e.kind === "run.finished" && e.result)
            finished = (await ingestRunResult(deps, deviceId, e.result)) || finished;
        }
        if (finished) await advanceAll();
        return { stored };
      },
      ctx,
    );

    let statusQueue: Promise<unknown> = Promise.resolve();
    handle(
      socket,
      "models:status",
      modelsStatusReportSchema,
      (report) => {
        // One report at a time per device: socket.io runs handlers concurrently, and a "ready" written before
        // the "verifying" sent just ahead of it would leave the device looking stuck.
        const next = statusQueue.then(async () => {
          const changed = await applyModelsStatus(deps, deviceId, report);
          for (const id of changed) await advanceDeployment(deps, id);
          return { stored: changed.length };
        });
        statusQueue = next.catch(() => undefined);
        return next;
      },
      ctx,
    );

    handle(
      socket,
      "run:progress",
      runProgressSchema,
      async (progress) => {
        await applyRunProgress(deps, deviceId, progress);
        return { ok: true as const };
      },
      ctx,
    );

    socket.on("disconnect", (reason) => {
      log.info({ reason }, "agent disconnected");
      hub
        .agentDisconnected(deviceId, socket)
        .catch((err: unknown) => log.error({ err }, "disconnect bookkeeping failed"));
    });
  });
  return { close: () => pushes?.close() };
}
