// Lab sessions: a class in a lab for a time window. scheduled → active → ended, or cancelled before it starts.
// One active session per lab at a time. Starting prepares the room (the assignment's models deployed where
// missing); ending checks everyone out, closes the raised hands and cancels the session's runs still going.
import type { Prisma } from "@labfleet/db";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { DeploymentHub } from "../deployments/deps.ts";
import type { Db } from "../deps.ts";
import { cancelRun } from "../runs/start.ts";
import { type Actor, classWhere, requireClass, requireSession } from "./access.ts";
import { prepareRoom } from "./preparation.ts";

/** What the session services need of the live fleet (the FleetHub in production). */
export interface SessionHub extends DeploymentHub {
  publishSession(sessionId: string, studentIds: Iterable<string>): void;
  releaseDeviceWatch(userId: string, deviceId: string): Promise<void>;
}

export interface SessionDeps {
  db: Db;
  hub: SessionHub;
}

export const SESSION_STATUSES = ["scheduled", "active", "ended", "cancelled"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** A class period is hours, not days: a longer window is almost certainly a typo in the date. */
export const MAX_SESSION_MS = 12 * 60 * 60 * 1000;

const id = z.string().min(1).max(64);

/** The checks of a session's window, the same when it is scheduled and when it is moved. */
function checkWindow(s: { startsAt: Date; endsAt: Date }, ctx: z.RefinementCtx): void {
  const ms = s.endsAt.getTime() - s.startsAt.getTime();
  if (ms <= 0) ctx.addIssue({ code: "custom", message: "The end must be after the start", path: ["endsAt"] });
  else if (ms > MAX_SESSION_MS) {
    ctx.addIssue({ code: "custom", message: "A session lasts at most 12 hours", path: ["endsAt"] });
  }
}

export const scheduleSessionInput = z
  .object({
    classId: id,
    labId: id,
    title: z.string().trim().min(1, "Give the session a title").max(120),
    startsAt: z.coerce.date(),
    endsAt: z.coerce.date(),
    assignmentId: id.nullish(),
    autoStart: z.boolean().default(false),
  })
  .superRefine(checkWindow);
export type ScheduleSessionInput = z.input<typeof scheduleSessionInput>;

export const rescheduleSessionInput = z
  .object({ id, startsAt: z.coerce.date(), endsAt: z.coerce.date() })
  .superRefine(checkWindow);
export type RescheduleSessionInput = z.input<typeof rescheduleSessionInput>;

const summarySelect = {
  id: true,
  classId: true,
  labId: true,
  title: true,
  assignmentId: true,
  startsAt: true,
  endsAt: true,
  autoStart: true,
  status: true,
  startedAt: true,
  endedAt: true,
  deploymentId: true,
  class: { select: { name: true } },
  lab: { select: { name: true } },
  assignment: { select: { title: true } },
  _count: { select: { checkIns: { where: { checkedOutAt: null } } } },
} satisfies Prisma.LabSessionSelect;

type SummaryRow = Prisma.LabSessionGetPayload<{ select: typeof summarySelect }>;

export const sessionSummarySchema = z.object({
  id: z.string(),
  classId: z.string(),
  className: z.string(),
  labId: z.string(),
  labName: z.string(),
  title: z.string(),
  assignmentId: z.string().nullable(),
  assignmentTitle: z.string().nullable(),
  startsAt: z.date(),
  endsAt: z.date(),
  autoStart: z.boolean(),
  status: z.enum(SESSION_STATUSES),
  startedAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  /** Students checked in now. */
  checkedIn: z.number().int(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

function toSummary(row: SummaryRow): SessionSummary {
  return {
    id: row.id,
    classId: row.classId,
    className: row.class.name,
    labId: row.labId,
    labName: row.lab.name,
    title: row.title,
    assignmentId: row.assignmentId,
    assignmentTitle: row.assignment?.title ?? null,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    autoStart: row.autoStart,
    status: z.enum(SESSION_STATUSES).catch("cancelled").parse(row.status),
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    checkedIn: row._count.checkIns,
  };
}

export async function summaryOf(db: Db, sessionId: string): Promise<SessionSummary> {
  return toSummary(await db.prisma.labSession.findUniqueOrThrow({ where: { id: sessionId }, select: summarySelect }));
}

/** The students of a session's class: who hears about its changes. */
export async function rosterIds(db: Db, sessionId: string): Promise<string[]> {
  const rows = await db.prisma.classStudent.findMany({
    where: { class: { sessions: { some: { id: sessionId } } } },
    select: { userId: true },
  });
  return rows.map((r) => r.userId);
}

export async function publishSessionChange(deps: SessionDeps, sessionId: string): Promise<void> {
  deps.hub.publishSession(sessionId, await rosterIds(deps.db, sessionId));
}

export async function scheduleSession(deps: SessionDeps, actor: Actor, input: ScheduleSessionInput) {
  const data = scheduleSessionInput.parse(input);
  await requireClass(deps.db, actor, data.classId, "teach");
  const lab = await deps.db.prisma.lab.findUnique({ where: { id: data.labId }, select: { id: true } });
  if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  if (data.assignmentId) {
    const a = await deps.db.prisma.assignment.findFirst({
      where: { id: data.assignmentId, classId: data.classId },
      select: { id: true },
    });
    if (!a) throw new AppError("NOT_FOUND", "That assignment does not exist in this class.");
  }
  const created = await deps.db.prisma.labSession.create({
    data: {
      classId: data.classId,
      labId: data.labId,
      title: data.title,
      startsAt: data.startsAt,
      endsAt: data.endsAt,
      assignmentId: data.assignmentId ?? null,
      autoStart: data.autoStart,
    },
    select: summarySelect,
  });
  deps.db.log.info({ sessionId: created.id, classId: data.classId, userId: actor.id }, "lab session scheduled");
  await publishSessionChange(deps, created.id);
  return toSummary(created);
}

/** A class's sessions, newest first. */
export async function listClassSessions(db: Db, actor: Actor, classId: string): Promise<SessionSummary[]> {
  await requireClass(db, actor, classId, "view");
  const rows = await db.prisma.labSession.findMany({
    where: { classId },
    select: summarySelect,
    orderBy: [{ startsAt: "desc" }, { id: "asc" }],
    take: 200,
  });
  return rows.map(toSummary);
}

/** The sessions of the actor's classes that are running or still to come, soonest first. */
export async function listMySessions(db: Db, actor: Actor) {
  const classes = await db.prisma.class.findMany({
    where: { AND: [classWhere(actor), { archivedAt: null }] },
    select: { id: true, name: true, term: true },
    orderBy: { name: "asc" },
  });
  const rows = await db.prisma.labSession.findMany({
    where: { classId: { in: classes.map((c) => c.id) }, status: { in: ["scheduled", "active"] } },
    select: summarySelect,
    orderBy: [{ startsAt: "asc" }, { id: "asc" }],
    take: 100,
  });
  return { classes, sessions: rows.map(toSummary) };
}

/** Serialises changes to one lab's sessions across processes (one active session per lab). */
async function lockLab(tx: Prisma.TransactionClient, labId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`labfleet:lab-session:${labId}`}))`;
}

/** Locks a session's row for the rest of the transaction: check-ins and hands of one session go one at a time. */
export async function lockSession(tx: Prisma.TransactionClient, sessionId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM lab_session WHERE id = ${sessionId} FOR UPDATE`;
}

/** Starts a scheduled session (by an instructor, or by the schedule job when `actor` is null) and prepares the room. */
export async function startSession(deps: SessionDeps, actor: Actor | null, sessionId: string, now = new Date()) {
  if (actor) await requireSession(deps.db, actor, sessionId, "teach");
  const session = await deps.db.prisma.$transaction(async (tx) => {
    const s = await tx.labSession.findUnique({ where: { id: sessionId } });
    if (!s) throw new AppError("NOT_FOUND", "That lab session does not exist.");
    await lockLab(tx, s.labId);
    const current = await tx.labSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (current.status !== "scheduled") {
      throw new AppError("CONFLICT", `This session is ${current.status}; only a scheduled session can start.`);
    }
    if (current.endsAt.getTime() <= now.getTime()) {
      throw new AppError("CONFLICT", "This session's time is over. Schedule a new one.");
    }
    const other = await tx.labSession.findFirst({
      where: { labId: current.labId, status: "active", id: { not: sessionId } },
      select: { title: true, class: { select: { name: true } } },
    });
    if (other) {
      throw new AppError(
        "CONFLICT",
        `The lab is in use by "${other.title}" (${other.class.name}). End that session first.`,
      );
    }
    return tx.labSession.update({
      where: { id: sessionId },
      data: { status: "active", startedAt: now, startedById: actor?.id ?? null },
    });
  });
  deps.db.log.info({ sessionId, userId: actor?.id ?? null }, "lab session started");
  const preparation = await prepareRoom(deps, session, actor?.id ?? null);
  const first = preparation.deployed[0];
  if (first) {
    await deps.db.prisma.labSession.update({ where: { id: sessionId }, data: { deploymentId: first.deploymentId } });
  }
  await publishSessionChange(deps, sessionId);
  return { session: await summaryOf(deps.db, sessionId), preparation };
}

const RUNNING = ["queued", "running"];

/**
 * Ends an active session: every open check-in is checked out and every open hand closed in one transaction;
 * then the session's runs still going are cancelled and the students stop watching their seats.
 */
export async function endSession(deps: SessionDeps, actor: Actor | null, sessionId: string, now = new Date()) {
  if (actor) await requireSession(deps.db, actor, sessionId, "teach");
  const checkedOut = await deps.db.prisma.$transaction(async (tx) => {
    await lockSession(tx, sessionId);
    const s = await tx.labSession.findUnique({ where: { id: sessionId }, select: { status: true } });
    if (!s) throw new AppError("NOT_FOUND", "That lab session does not exist.");
    if (s.status !== "active")
      throw new AppError("CONFLICT", `This session is ${s.status}; only an active one can end.`);
    const open = await tx.sessionCheckIn.findMany({
      where: { sessionId, checkedOutAt: null },
      select: { studentId: true, deviceId: true },
    });
    await tx.sessionCheckIn.updateMany({ where: { sessionId, checkedOutAt: null }, data: { checkedOutAt: now } });
    await tx.helpRequest.updateMany({
      where: { sessionId, answeredAt: null },
      data: { answeredAt: now, resolution: "closed" },
    });
    await tx.labSession.update({ where: { id: sessionId }, data: { status: "ended", endedAt: now } });
    return open;
  });
  const runs = await deps.db.prisma.run.findMany({
    where: { sessionId, status: { in: RUNNING } },
    select: { id: true },
  });
  for (const r of runs) {
    await cancelRun(deps, r.id).catch((err: unknown) =>
      deps.db.log.warn({ err, runId: r.id, sessionId }, "session run not cancelled"),
    );
  }
  for (const c of checkedOut) {
    await deps.hub.releaseDeviceWatch(c.studentId, c.deviceId).catch(() => undefined);
  }
  deps.db.log.info({ sessionId, userId: actor?.id ?? null, checkedOut: checkedOut.length }, "lab session ended");
  await publishSessionChange(deps, sessionId);
  return { session: await summaryOf(deps.db, sessionId), checkedOut: checkedOut.length, runsCancelled: runs.length };
}

export async function cancelSession(deps: SessionDeps, actor: Actor, sessionId: string): Promise<SessionSummary> {
  await requireSession(deps.db, actor, sessionId, "teach");
  const res = await deps.db.prisma.labSession.updateMany({
    where: { id: sessionId, status: "scheduled" },
    data: { status: "cancelled" },
  });
  if (res.count === 0) {
    const s = await deps.db.prisma.labSession.findUniqueOrThrow({ where: { id: sessionId }, select: { status: true } });
    throw new AppError("CONFLICT", `This session is ${s.status}; only a scheduled session can be cancelled.`);
  }
  await publishSessionChange(deps, sessionId);
  return summaryOf(deps.db, sessionId);
}

/** Moves a scheduled session to a new window; one that has started, ended or was cancelled keeps its own. */
export async function rescheduleSession(
  deps: SessionDeps,
  actor: Actor,
  input: RescheduleSessionInput,
): Promise<SessionSummary> {
  const data = rescheduleSessionInput.parse(input);
  await requireSession(deps.db, actor, data.id, "teach");
  // One statement: a session that the schedule job starts meanwhile is not moved under it.
  const res = await deps.db.prisma.labSession.updateMany({
    where: { id: data.id, status: "scheduled" },
    data: { startsAt: data.startsAt, endsAt: data.endsAt },
  });
  if (res.count === 0) {
    const s = await deps.db.prisma.labSession.findUniqueOrThrow({ where: { id: data.id }, select: { status: true } });
    throw new AppError("CONFLICT", `This session is ${s.status}; only a scheduled session can be moved.`);
  }
  deps.db.log.info(
    { sessionId: data.id, userId: actor.id, startsAt: data.startsAt, endsAt: data.endsAt },
    "lab session rescheduled",
  );
  await publishSessionChange(deps, data.id);
  return summaryOf(deps.db, data.id);
}

/**
 * The schedule's clock: ends the active sessions whose time is up (first, so that the lab is free for the next
 * class), then starts the auto-start sessions whose time has come. A failure of one session does not stop the rest.
 */
export async function runSessionSchedule(
  deps: SessionDeps,
  now: Date,
): Promise<{ started: string[]; ended: string[] }> {
  const done = { started: [] as string[], ended: [] as string[] };
  const due = await deps.db.prisma.labSession.findMany({
    where: { status: "active", endsAt: { lte: now } },
    select: { id: true },
    orderBy: { endsAt: "asc" },
    take: 100,
  });
  for (const s of due) {
    try {
      await endSession(deps, null, s.id, now);
      done.ended.push(s.id);
    } catch (err) {
      deps.db.log.warn({ err, sessionId: s.id }, "scheduled session end failed");
    }
  }
  const starting = await deps.db.prisma.labSession.findMany({
    where: { status: "scheduled", autoStart: true, startsAt: { lte: now }, endsAt: { gt: now } },
    select: { id: true },
    orderBy: { startsAt: "asc" },
    take: 100,
  });
  for (const s of starting) {
    try {
      await startSession(deps, null, s.id, now);
      done.started.push(s.id);
    } catch (err) {
      // A lab still busy with an earlier class that overran: tried again on the next tick.
      deps.db.log.warn({ err, sessionId: s.id }, "scheduled session start failed");
    }
  }
  return done;
}
