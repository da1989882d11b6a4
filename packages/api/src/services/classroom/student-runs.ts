// A student's runs for an assignment: only on the seat they are checked in to, only within the assignment's bounds.
import { runSpecSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import type { RunDeps } from "../runs/deps.ts";
import { getRun, listRuns, type RunDetail, type RunSummary } from "../runs/queries.ts";
import { startRun } from "../runs/start.ts";
import { type Actor, requireAssignment } from "./access.ts";
import { readBounds } from "./assignments.ts";

const id = z.string().min(1).max(64);

export const startStudentRunInput = z.object({
  assignmentId: id,
  versionId: id,
  threads: z.number().int().min(1).max(1_024).optional(),
  batchSize: z.number().int().min(1).max(256).optional(),
});

/** The student's open check-in in a running session of the class, newest first. */
export function findOpenCheckIn(db: Db, studentId: string, classId: string) {
  return db.prisma.sessionCheckIn.findFirst({
    where: { studentId, checkedOutAt: null, session: { classId, status: "active" } },
    orderBy: { checkedInAt: "desc" },
    select: {
      sessionId: true,
      deviceId: true,
      checkedInAt: true,
      session: { select: { title: true, status: true, endsAt: true } },
      device: { select: { name: true, seatCode: true, seat: { select: { label: true } } } },
    },
  });
}

function checkBound(name: string, value: number | undefined, range: { min: number; max: number } | undefined) {
  if (value === undefined) return;
  if (!range) throw new AppError("BAD_REQUEST", `This assignment does not let you change ${name}.`);
  if (value < range.min || value > range.max) {
    throw new AppError("BAD_REQUEST", `${name} must be between ${range.min} and ${range.max} (got ${value}).`);
  }
}

/** Starts a run of one of the assignment's variants on the student's own checked-in device. */
export async function startStudentRun(
  deps: RunDeps,
  actor: Actor,
  raw: z.input<typeof startStudentRunInput>,
  ackTimeoutMs?: number,
): Promise<RunDetail> {
  const input = startStudentRunInput.parse(raw);
  if (actor.role !== "student") throw new AppError("FORBIDDEN", "Only students start runs for an assignment.");
  const assignment = await requireAssignment(deps.db, actor, input.assignmentId, "view");
  const allowed = await deps.db.prisma.assignmentVersion.findUnique({
    where: { assignmentId_versionId: { assignmentId: assignment.id, versionId: input.versionId } },
    select: { versionId: true },
  });
  if (!allowed) throw new AppError("BAD_REQUEST", "That model version is not one of this assignment's.");
  const bounds = readBounds(assignment.bounds);
  checkBound("threads", input.threads, bounds.threads);
  checkBound("batch size", input.batchSize, bounds.batchSize);
  const base = runSpecSchema.safeParse(assignment.baseSpec);
  if (!base.success) throw new AppError("CONFLICT", "This assignment's run spec is not valid; tell your instructor.");
  const checkIn = await findOpenCheckIn(deps.db, actor.id, assignment.classId);
  if (!checkIn) {
    throw new AppError("CONFLICT", "Check in to your seat in a running lab session of this class first.");
  }
  const spec = {
    ...base.data,
    ...(input.threads !== undefined ? { threads: input.threads } : {}),
    ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}),
  };
  const runId = await startRun(
    deps,
    {
      versionId: input.versionId,
      deviceId: checkIn.deviceId,
      spec,
      userId: actor.id,
      student: { studentId: actor.id, sessionId: checkIn.sessionId, assignmentId: assignment.id },
    },
    ...(ackTimeoutMs !== undefined ? [ackTimeoutMs] : []),
  );
  return getRun(deps.db, runId);
}

/** The caller's own runs for an assignment, newest first. */
export async function myRuns(db: Db, actor: Actor, assignmentId: string): Promise<RunSummary[]> {
  await requireAssignment(db, actor, assignmentId, "view");
  return listRuns(db, { assignmentId, limit: 200 }, { studentId: actor.id });
}

export const seatViewSchema = z.object({
  checkedIn: z.boolean(),
  sessionId: z.string().nullable(),
  sessionTitle: z.string().nullable(),
  sessionEndsAt: z.date().nullable(),
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  seatLabel: z.string().nullable(),
  seatCode: z.string().nullable(),
  checkedInAt: z.date().nullable(),
  online: z.boolean(),
});
export type SeatView = z.infer<typeof seatViewSchema>;

/** Where the student sits now for this assignment's class (a running session), and whether the device is online. */
export async function mySeat(deps: RunDeps, actor: Actor, assignmentId: string): Promise<SeatView> {
  const assignment = await requireAssignment(deps.db, actor, assignmentId, "view");
  const c = await findOpenCheckIn(deps.db, actor.id, assignment.classId);
  if (!c) {
    return {
      checkedIn: false,
      sessionId: null,
      sessionTitle: null,
      sessionEndsAt: null,
      deviceId: null,
      deviceName: null,
      seatLabel: null,
      seatCode: null,
      checkedInAt: null,
      online: false,
    };
  }
  return {
    checkedIn: true,
    sessionId: c.sessionId,
    sessionTitle: c.session.title,
    sessionEndsAt: c.session.endsAt,
    deviceId: c.deviceId,
    deviceName: c.device.name,
    seatLabel: c.device.seat?.label ?? null,
    seatCode: c.device.seatCode,
    checkedInAt: c.checkedInAt,
    online: deps.hub.isOnline(c.deviceId),
  };
}
