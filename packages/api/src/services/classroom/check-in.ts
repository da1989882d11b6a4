// A student checks in to a seat with the code on its label, during an active session of one of their classes.
// One row per student and session: moving seats updates it. A device holds one student at a time, checked under
// the session row's lock.
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { type Actor, classWhere, requireSession } from "./access.ts";
import { deviceBySeatCode, seatCodeInput } from "./seat-codes.ts";
import { lockSession, publishSessionChange, type SessionDeps } from "./sessions.ts";

export const checkInInput = z.object({
  /** Optional: without it, the student's active session in the seat's lab is used. */
  sessionId: z.string().min(1).max(64).nullish(),
  seatCode: seatCodeInput,
});

export const checkInResultSchema = z.object({
  sessionId: z.string(),
  deviceId: z.string(),
  deviceName: z.string(),
  seatLabel: z.string().nullable(),
  /** The seat the student left, when they moved. */
  movedFromDeviceId: z.string().nullable(),
});
export type CheckInResult = z.infer<typeof checkInResultSchema>;

const noSeat = () => new AppError("NOT_FOUND", "No seat has that code.");

function requireStudent(actor: Actor): void {
  if (actor.role !== "student") throw new AppError("FORBIDDEN", "Only students check in to seats.");
}

/** The session to check in to: the one named, or the student's active session in the seat's lab. */
async function sessionFor(deps: SessionDeps, actor: Actor, sessionId: string | null | undefined, labId: string | null) {
  if (sessionId) {
    const s = await requireSession(deps.db, actor, sessionId, "view");
    if (s.status !== "active") {
      throw new AppError("CONFLICT", `This session is not running (${s.status}). Check in once it has started.`);
    }
    // A seat of another lab reads exactly like a code that does not exist.
    if (s.labId !== labId) throw noSeat();
    return s;
  }
  const active = await deps.db.prisma.labSession.findMany({
    where: { status: "active", class: classWhere(actor) },
    select: { id: true, labId: true },
  });
  if (active.length === 0) throw new AppError("CONFLICT", "None of your classes has a session running now.");
  const here = active.find((s) => s.labId === labId);
  if (!here) throw noSeat();
  return here;
}

export async function checkIn(
  deps: SessionDeps,
  actor: Actor,
  input: z.input<typeof checkInInput>,
): Promise<CheckInResult> {
  requireStudent(actor);
  const data = checkInInput.parse(input);
  const device = await deviceBySeatCode(deps.db, data.seatCode).catch(() => {
    throw noSeat();
  });
  const session = await sessionFor(deps, actor, data.sessionId, device.labId);
  const previous = await deps.db.prisma.$transaction(async (tx) => {
    await lockSession(tx, session.id);
    const s = await tx.labSession.findUniqueOrThrow({ where: { id: session.id }, select: { status: true } });
    if (s.status !== "active") throw new AppError("CONFLICT", "This session has just ended.");
    const taken = await tx.sessionCheckIn.findFirst({
      where: { sessionId: session.id, deviceId: device.id, checkedOutAt: null, studentId: { not: actor.id } },
      select: { id: true },
    });
    if (taken) throw new AppError("CONFLICT", "Someone is already checked in to this seat. Ask your instructor.");
    const before = await tx.sessionCheckIn.findUnique({
      where: { sessionId_studentId: { sessionId: session.id, studentId: actor.id } },
      select: { deviceId: true, checkedOutAt: true },
    });
    await tx.sessionCheckIn.upsert({
      where: { sessionId_studentId: { sessionId: session.id, studentId: actor.id } },
      create: { sessionId: session.id, studentId: actor.id, deviceId: device.id },
      update: { deviceId: device.id, checkedInAt: new Date(), checkedOutAt: null },
    });
    // A raised hand moves with the student.
    await tx.helpRequest.updateMany({
      where: { sessionId: session.id, studentId: actor.id, answeredAt: null },
      data: { deviceId: device.id },
    });
    return before && !before.checkedOutAt && before.deviceId !== device.id ? before.deviceId : null;
  });
  if (previous) await deps.hub.releaseDeviceWatch(actor.id, previous).catch(() => undefined);
  deps.db.log.info({ sessionId: session.id, userId: actor.id, deviceId: device.id }, "student checked in");
  await publishSessionChange(deps, session.id);
  const seat = await deps.db.prisma.seat.findUnique({ where: { deviceId: device.id }, select: { label: true } });
  return {
    sessionId: session.id,
    deviceId: device.id,
    deviceName: device.name,
    seatLabel: seat?.label ?? null,
    movedFromDeviceId: previous,
  };
}

export async function checkOut(deps: SessionDeps, actor: Actor, sessionId: string): Promise<{ checkedOut: boolean }> {
  requireStudent(actor);
  await requireSession(deps.db, actor, sessionId, "view");
  const open = await deps.db.prisma.sessionCheckIn.findFirst({
    where: { sessionId, studentId: actor.id, checkedOutAt: null },
    select: { id: true, deviceId: true },
  });
  if (!open) return { checkedOut: false };
  await deps.db.prisma.sessionCheckIn.updateMany({
    where: { id: open.id, checkedOutAt: null },
    data: { checkedOutAt: new Date() },
  });
  await deps.hub.releaseDeviceWatch(actor.id, open.deviceId).catch(() => undefined);
  await publishSessionChange(deps, sessionId);
  return { checkedOut: true };
}
