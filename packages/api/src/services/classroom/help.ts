// The help queue: a student raises a hand from their page; it waits, in the order raised, until an instructor
// answers it, the student lowers it, or the session ends. A hand is open while answeredAt is null (answeredAt is
// when it left the queue, whatever the resolution).
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireSession } from "./access.ts";
import { lockSession, publishSessionChange, type SessionDeps } from "./sessions.ts";

export const helpRequestSchema = z.object({
  id: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  deviceId: z.string().nullable(),
  seatLabel: z.string().nullable(),
  note: z.string().nullable(),
  raisedAt: z.date(),
  /** 1 for the hand raised first. */
  position: z.number().int().min(1),
});
export type HelpRequestView = z.infer<typeof helpRequestSchema>;

export const raiseHandInput = z.object({
  sessionId: z.string().min(1).max(64),
  note: z.string().trim().max(280).nullish(),
});

/** The open hands of a session, first raised first. */
export async function helpQueue(db: Db, sessionId: string): Promise<HelpRequestView[]> {
  const rows = await db.prisma.helpRequest.findMany({
    where: { sessionId, answeredAt: null },
    orderBy: [{ raisedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      studentId: true,
      deviceId: true,
      note: true,
      raisedAt: true,
      student: { select: { name: true } },
    },
  });
  const deviceIds = rows.flatMap((r) => (r.deviceId ? [r.deviceId] : []));
  const seats = await db.prisma.seat.findMany({
    where: { deviceId: { in: deviceIds } },
    select: { deviceId: true, label: true },
  });
  const seatOf = new Map(seats.map((s) => [s.deviceId, s.label]));
  return rows.map((r, i) => ({
    id: r.id,
    studentId: r.studentId,
    studentName: r.student.name,
    deviceId: r.deviceId,
    seatLabel: r.deviceId ? (seatOf.get(r.deviceId) ?? null) : null,
    note: r.note,
    raisedAt: r.raisedAt,
    position: i + 1,
  }));
}

function requireStudent(actor: Actor): void {
  if (actor.role !== "student") throw new AppError("FORBIDDEN", "Only students raise and lower hands.");
}

/** Raises the student's hand; a hand already up stays where it is in the queue and is returned as it is. */
export async function raiseHand(
  deps: SessionDeps,
  actor: Actor,
  input: z.input<typeof raiseHandInput>,
): Promise<HelpRequestView> {
  requireStudent(actor);
  const { sessionId, note } = raiseHandInput.parse(input);
  await requireSession(deps.db, actor, sessionId, "view");
  await deps.db.prisma.$transaction(async (tx) => {
    await lockSession(tx, sessionId);
    const s = await tx.labSession.findUniqueOrThrow({ where: { id: sessionId }, select: { status: true } });
    if (s.status !== "active") throw new AppError("CONFLICT", "Hands can be raised only while the session runs.");
    const open = await tx.helpRequest.findFirst({
      where: { sessionId, studentId: actor.id, answeredAt: null },
      select: { id: true },
    });
    if (open) return;
    const seat = await tx.sessionCheckIn.findFirst({
      where: { sessionId, studentId: actor.id, checkedOutAt: null },
      select: { deviceId: true },
    });
    await tx.helpRequest.create({
      data: { sessionId, studentId: actor.id, deviceId: seat?.deviceId ?? null, note: note || null },
    });
  });
  await publishSessionChange(deps, sessionId);
  const mine = (await helpQueue(deps.db, sessionId)).find((h) => h.studentId === actor.id);
  if (!mine) throw new AppError("CONFLICT", "Your hand was answered meanwhile.");
  return mine;
}

/** Lowers the student's own hand; lowering a hand that is not up is a no-op. */
export async function lowerHand(deps: SessionDeps, actor: Actor, sessionId: string): Promise<{ lowered: boolean }> {
  requireStudent(actor);
  await requireSession(deps.db, actor, sessionId, "view");
  const res = await deps.db.prisma.helpRequest.updateMany({
    where: { sessionId, studentId: actor.id, answeredAt: null },
    data: { answeredAt: new Date(), resolution: "lowered" },
  });
  if (res.count > 0) await publishSessionChange(deps, sessionId);
  return { lowered: res.count > 0 };
}

/** An instructor of the class answers a hand: it leaves the queue. */
export async function answerHelp(deps: SessionDeps, actor: Actor, helpRequestId: string): Promise<{ id: string }> {
  const request = await deps.db.prisma.helpRequest.findUnique({
    where: { id: helpRequestId },
    select: { id: true, sessionId: true },
  });
  if (!request) throw new AppError("NOT_FOUND", "That help request does not exist.");
  // Through the session's class: someone who does not teach it learns nothing about the request.
  await requireSession(deps.db, actor, request.sessionId, "teach").catch((e: unknown) => {
    throw e instanceof AppError && e.code === "FORBIDDEN"
      ? new AppError("FORBIDDEN", "Only the class's instructors can answer hands.")
      : new AppError("NOT_FOUND", "That help request does not exist.");
  });
  const res = await deps.db.prisma.helpRequest.updateMany({
    where: { id: helpRequestId, answeredAt: null },
    data: { answeredAt: new Date(), answeredById: actor.id, resolution: "answered" },
  });
  if (res.count === 0) throw new AppError("CONFLICT", "This hand is already down (answered or lowered).");
  await publishSessionChange(deps, request.sessionId);
  return { id: helpRequestId };
}
