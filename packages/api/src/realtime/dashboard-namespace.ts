import {
  DASHBOARD_NAMESPACE,
  type DashboardToServerEvents,
  deviceSubscribeSchema,
  fleetSubscribeSchema,
  labSubscribeSchema,
  type ServerToDashboardEvents,
} from "@labfleet/protocol";
import { fromNodeHeaders } from "better-auth/node";
import type { Server, Socket } from "socket.io";
import type { Auth } from "../auth.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { isStaff, parseRole, type Role } from "../roles.ts";
import type { Db } from "../services/deps.ts";
import { type EdgeCounters, handle, refusal } from "./handle.ts";
import { deviceRoom, FLEET_ROOM, type FleetHub, labRoom } from "./hub.ts";

interface DashboardSocketData {
  userId: string;
  role: Role;
  log: Logger;
}
type DashboardSocket = Socket<
  DashboardToServerEvents,
  ServerToDashboardEvents,
  Record<string, never>,
  DashboardSocketData
>;

/** The `/dashboard` namespace: browsers authenticate with their session cookie and subscribe to rooms. */
export function attachDashboardNamespace(
  io: Server,
  deps: { db: Db; hub: FleetHub; auth: Auth; counters: EdgeCounters },
): void {
  const { db, hub, auth, counters } = deps;
  const nsp = io.of(DASHBOARD_NAMESPACE);

  nsp.use(async (socket, next) => {
    try {
      const session = await auth.api.getSession({ headers: fromNodeHeaders(socket.handshake.headers) });
      if (!session) throw new AppError("UNAUTHORIZED", "Sign in to watch the fleet.");
      const role = parseRole(session.user.role);
      if (!isStaff(role)) throw new AppError("FORBIDDEN", "Only instructors and admins can watch the fleet.");
      socket.data.userId = session.user.id;
      socket.data.role = role;
      socket.data.log = db.log.child({ userId: session.user.id });
      next();
    } catch (e) {
      const err = refusal(e);
      counters.count(err.data.code);
      next(err);
    }
  });

  nsp.on("connection", (raw) => {
    const socket = raw as DashboardSocket;
    const ctx = { log: socket.data.log, counters };

    handle(
      socket,
      "fleet:subscribe",
      fleetSubscribeSchema,
      async () => {
        await socket.join(FLEET_ROOM);
        hub.watch(socket.id, FLEET_ROOM);
        return hub.fleetSnapshot();
      },
      ctx,
    );

    handle(
      socket,
      "fleet:unsubscribe",
      fleetSubscribeSchema,
      async () => {
        await socket.leave(FLEET_ROOM);
        hub.unwatch(socket.id, FLEET_ROOM);
        return null;
      },
      ctx,
    );

    handle(
      socket,
      "device:subscribe",
      deviceSubscribeSchema,
      async ({ deviceId }) => {
        const snapshot = await hub.deviceSnapshot(deviceId);
        await socket.join(deviceRoom(deviceId));
        hub.watch(socket.id, deviceRoom(deviceId));
        return snapshot;
      },
      ctx,
    );

    handle(
      socket,
      "device:unsubscribe",
      deviceSubscribeSchema,
      async ({ deviceId }) => {
        await socket.leave(deviceRoom(deviceId));
        hub.unwatch(socket.id, deviceRoom(deviceId));
        return null;
      },
      ctx,
    );

    handle(
      socket,
      "lab:subscribe",
      labSubscribeSchema,
      async ({ labId }) => {
        // Snapshot first: it records which devices belong to the lab, which the watch needs to speed them up.
        const snapshot = await hub.labSnapshot(labId);
        await socket.join(labRoom(labId));
        hub.watch(socket.id, labRoom(labId));
        return snapshot;
      },
      ctx,
    );

    handle(
      socket,
      "lab:unsubscribe",
      labSubscribeSchema,
      async ({ labId }) => {
        await socket.leave(labRoom(labId));
        hub.unwatch(socket.id, labRoom(labId));
        return null;
      },
      ctx,
    );

    socket.on("disconnect", () => hub.unwatchAll(socket.id));
  });
}
