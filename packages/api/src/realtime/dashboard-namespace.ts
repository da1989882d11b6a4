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
import { deviceWhere, requireDevice, requireLab, scopedLabIds } from "../services/fleet-scope.ts";
import { type EdgeCounters, handle, refusal } from "./handle.ts";
import {
  ADMIN_ROOM,
  deviceRoom,
  FLEET_ROOM,
  type FleetHub,
  fleetLabRoom,
  labRoom,
  labStaffRoom,
  STAFF_ROOM,
  userRoom,
} from "./hub.ts";

interface DashboardSocketData {
  userId: string;
  role: Role;
  log: Logger;
  /** Joined on connect (read while the handshake is checked, so that no news is missed after it). */
  homeRooms: string[];
}
type DashboardSocket = Socket<
  DashboardToServerEvents,
  ServerToDashboardEvents,
  Record<string, never>,
  DashboardSocketData
>;

/**
 * Whether a student may watch a device: only the seat they are checked in to, during an active session.
 * Anything else reads as NOT_FOUND, like every row a person may not see.
 */
async function requireStudentSeat(db: Db, studentId: string, deviceId: string): Promise<void> {
  const seat = await db.prisma.sessionCheckIn.findFirst({
    where: { studentId, deviceId, checkedOutAt: null, session: { status: "active" } },
    select: { id: true },
  });
  if (!seat) throw new AppError("NOT_FOUND", "That device does not exist.");
}

const staffOnly = () => new AppError("FORBIDDEN", "Only instructors and admins can watch the fleet and the labs.");

/** The rooms a socket joins on connect: its person's, and the staff rooms of what they may see. */
async function homeRooms(db: Db, actor: { id: string; role: Role }): Promise<string[]> {
  const own = userRoom(actor.id);
  if (actor.role === "admin") return [own, STAFF_ROOM, ADMIN_ROOM];
  if (actor.role === "student") return [own];
  return [own, STAFF_ROOM, ...((await scopedLabIds(db, actor)) ?? []).map(labStaffRoom)];
}

/**
 * The `/dashboard` namespace: browsers authenticate with their session cookie and subscribe to rooms. An admin may
 * watch everything, an instructor the labs they use and their devices (fleet-scope.ts); a student only the seat
 * they are checked in to. Each gets their own news in a personal room.
 */
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
      socket.data.userId = session.user.id;
      socket.data.role = role;
      socket.data.log = db.log.child({ userId: session.user.id });
      socket.data.homeRooms = await homeRooms(db, { id: session.user.id, role });
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
    const staff = isStaff(socket.data.role);
    const actor = { id: socket.data.userId, role: socket.data.role };
    void socket.join(socket.data.homeRooms);

    handle(
      socket,
      "fleet:subscribe",
      fleetSubscribeSchema,
      async () => {
        if (!staff) throw staffOnly();
        // An admin watches the whole fleet; an instructor the labs they use, one room each.
        const labIds = await scopedLabIds(db, actor);
        const rooms = labIds === null ? [FLEET_ROOM] : labIds.map(fleetLabRoom);
        await socket.join(rooms);
        for (const room of rooms) hub.watch(socket.id, room);
        return hub.fleetSnapshot(deviceWhere(actor));
      },
      ctx,
    );

    handle(
      socket,
      "fleet:unsubscribe",
      fleetSubscribeSchema,
      async () => {
        for (const room of [...socket.rooms]) {
          if (room !== FLEET_ROOM && !room.startsWith(fleetLabRoom(""))) continue;
          await socket.leave(room);
          hub.unwatch(socket.id, room);
        }
        return null;
      },
      ctx,
    );

    handle(
      socket,
      "device:subscribe",
      deviceSubscribeSchema,
      async ({ deviceId }) => {
        if (staff) await requireDevice(db, actor, deviceId);
        else await requireStudentSeat(db, socket.data.userId, deviceId);
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
        if (!staff) throw staffOnly();
        await requireLab(db, actor, labId);
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
