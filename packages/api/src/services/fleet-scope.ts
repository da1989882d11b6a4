// Which labs and devices a member of staff may see and act on, in one place. Every fleet procedure and the
// dashboard socket ask here; a lab or device outside the caller's scope is NOT_FOUND, so ids reveal nothing.
//   admin       every lab and every device, placed or not
//   instructor  the labs they use (the labs they made and the labs their classes have sessions in) and the devices
//               placed in them
//   student     none: a student sees only the seat they are checked in to, through the classroom
import type { Prisma } from "@labfleet/db";
import { AppError } from "../errors.ts";
import { type Actor, teachingWhere } from "./actor.ts";
import type { Db } from "./deps.ts";

export type { Actor };

const NONE = { id: { in: [] as string[] } };

/** The labs the actor uses. */
export function labWhere(actor: Actor): Prisma.LabWhereInput {
  switch (actor.role) {
    case "admin":
      return {};
    case "instructor":
      return { OR: [{ createdById: actor.id }, { labSessions: { some: { class: teachingWhere(actor) } } }] };
    case "student":
      return NONE;
  }
}

/** The devices the actor may see: those placed in the labs they use (every device for an admin). */
export function deviceWhere(actor: Actor): Prisma.DeviceWhereInput {
  return actor.role === "admin" ? {} : actor.role === "instructor" ? { lab: labWhere(actor) } : NONE;
}

/** The ids of the labs the actor uses; null for an admin (all of them, placed devices or not). */
export async function scopedLabIds(db: Db, actor: Actor): Promise<string[] | null> {
  if (actor.role === "admin") return null;
  const labs = await db.prisma.lab.findMany({ where: labWhere(actor), select: { id: true } });
  return labs.map((l) => l.id);
}

export async function usesLab(db: Db, actor: Actor, labId: string): Promise<boolean> {
  return (await db.prisma.lab.count({ where: { AND: [{ id: labId }, labWhere(actor)] } })) > 0;
}

/** The lab, when the actor uses it; NOT_FOUND otherwise. */
export async function requireLab(db: Db, actor: Actor, labId: string): Promise<void> {
  if (!(await usesLab(db, actor, labId))) throw new AppError("NOT_FOUND", "That lab does not exist.");
}

/** The device, when the actor may see it; NOT_FOUND otherwise. */
export async function requireDevice(db: Db, actor: Actor, deviceId: string): Promise<void> {
  const device = await db.prisma.device.findFirst({
    where: { AND: [{ id: deviceId }, deviceWhere(actor)] },
    select: { id: true },
  });
  if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
}

/** Every device of the list, or NOT_FOUND naming none of them. */
export async function requireDevices(db: Db, actor: Actor, deviceIds: readonly string[]): Promise<void> {
  if (actor.role === "admin" || deviceIds.length === 0) return;
  const ids = [...new Set(deviceIds)];
  const seen = await db.prisma.device.count({ where: { AND: [{ id: { in: ids } }, deviceWhere(actor)] } });
  if (seen !== ids.length) throw new AppError("NOT_FOUND", "One of those devices does not exist.");
}

/** The device filter of a scoped query: null for an admin, who sees every device (unplaced ones too). */
export function deviceScope(actor: Actor): Prisma.DeviceWhereInput | null {
  return actor.role === "admin" ? null : deviceWhere(actor);
}

/**
 * A deployment or run target the actor may aim at: a lab they use, or devices they see. A tag spans the whole
 * fleet, so only an admin targets one.
 */
export async function requireTarget(
  db: Db,
  actor: Actor,
  target: { kind: "lab"; labId: string } | { kind: "devices"; deviceIds: string[] } | { kind: "tag"; tag: string },
): Promise<void> {
  if (actor.role === "admin") return;
  switch (target.kind) {
    case "lab":
      return requireLab(db, actor, target.labId);
    case "devices":
      return requireDevices(db, actor, target.deviceIds);
    case "tag":
      throw new AppError("FORBIDDEN", "A tag spans the whole fleet: target one of your labs or its devices instead.");
  }
}
