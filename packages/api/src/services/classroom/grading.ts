// Automatic grading of a submitted run: pure rules first (unit-tested one by one), then the database wrapper.
import { runResultSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireAssignment } from "./access.ts";
import type { LatePolicy, Targets } from "./assignments.ts";
import { readLatePolicy, readTargets } from "./assignments.ts";

export const DAY_MS = 24 * 3_600_000;

export const targetCheckSchema = z.object({
  target: z.enum(["accuracyMin", "p95MsMax", "energyJMax"]),
  limit: z.number(),
  value: z.number().nullable(),
  passed: z.boolean(),
  /** Why it was missed without a value to compare (the device does not measure it, the run has none). */
  reason: z.string().nullable(),
});
export type TargetCheck = z.infer<typeof targetCheckSchema>;

export interface RunMeasures {
  accuracy: number | null;
  p95Ms: number | null;
  energyJPerInference: number | null;
}

/** The targets in the order they are checked: the measure each compares, which side of the limit passes, and
 * why a run may lack that measure. */
const TARGET_RULES: ReadonlyArray<{
  target: TargetCheck["target"];
  measure: keyof RunMeasures;
  atLeast: boolean;
  missing: string;
}> = [
  {
    target: "accuracyMin",
    measure: "accuracy",
    atLeast: true,
    missing: "this run has no accuracy (run an evaluation)",
  },
  { target: "p95MsMax", measure: "p95Ms", atLeast: false, missing: "this run has no latency" },
  {
    target: "energyJMax",
    measure: "energyJPerInference",
    atLeast: false,
    missing: "this device does not report power",
  },
];

/** Each target passed or missed, in a fixed order. A target without a measured value is missed, with the reason. */
export function checkTargets(targets: Targets, m: RunMeasures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const rule of TARGET_RULES) {
    const limit = targets[rule.target];
    if (limit === undefined) continue;
    const value = m[rule.measure];
    checks.push({
      target: rule.target,
      limit,
      value,
      passed: value !== null && (rule.atLeast ? value >= limit : value <= limit),
      reason: value === null ? rule.missing : null,
    });
  }
  return checks;
}

/** 0–100: the share of targets passed. */
export function scoreOf(checks: TargetCheck[]): number {
  if (checks.length === 0) return 0;
  return (100 * checks.filter((c) => c.passed).length) / checks.length;
}

export interface ValidityInput {
  classId: string;
  run: { deviceId: string; createdAt: Date; sessionId: string | null; signatureValid: boolean | null };
  /** The run's lab session, when it has one. */
  session: { classId: string; startedAt: Date | null; endedAt: Date | null } | null;
  /** The student's check-in in that session. */
  checkIn: { deviceId: string; checkedInAt: Date; checkedOutAt: Date | null } | null;
}

/**
 * A run counts only when it was started on the device the student was checked in to, while checked in, during a
 * session of the class, and its result carries a valid signature. The run's start is the server's clock
 * (createdAt), never the device's.
 */
export function validity(v: ValidityInput): { valid: true } | { valid: false; reason: string } {
  const at = v.run.createdAt.getTime();
  if (!v.run.sessionId || !v.session) return { valid: false, reason: "the run was not made during a lab session" };
  if (v.session.classId !== v.classId) return { valid: false, reason: "the run was made in another class's session" };
  const started = v.session.startedAt?.getTime();
  const ended = v.session.endedAt?.getTime();
  if (started === undefined || at < started || (ended !== undefined && at > ended)) {
    return { valid: false, reason: "the run was not made while the session was running" };
  }
  if (!v.checkIn) return { valid: false, reason: "you were not checked in to that session" };
  if (v.checkIn.deviceId !== v.run.deviceId) {
    return { valid: false, reason: "the run did not come from the device you were checked in to" };
  }
  const out = v.checkIn.checkedOutAt?.getTime();
  if (at < v.checkIn.checkedInAt.getTime() || (out !== undefined && at > out)) {
    return { valid: false, reason: "the run was not made while you were checked in" };
  }
  if (v.run.signatureValid !== true) return { valid: false, reason: "the result's signature is not valid" };
  return { valid: true };
}

/** Started days past the due date: one minute late is one day. */
export function daysLate(submittedAt: Date, dueAt: Date): number {
  const late = submittedAt.getTime() - dueAt.getTime();
  return late <= 0 ? 0 : Math.ceil(late / DAY_MS);
}

/** The score after the late policy, or refused. */
export function applyLatePolicy(
  score: number,
  late: number,
  policy: LatePolicy,
): { refused: false; score: number } | { refused: true } {
  if (late === 0 || policy.kind === "accept") return { refused: false, score };
  if (policy.kind === "reject" || late > policy.maxDays) return { refused: true };
  return { refused: false, score: Math.max(0, score - policy.percentPerDay * late) };
}

export type GradeOutcome =
  | { refused: true; reason: string }
  | {
      refused: false;
      valid: boolean;
      invalidReason: string | null;
      checks: TargetCheck[];
      daysLate: number;
      autoScore: number;
    };

/** Everything together: checks are shown even for an invalid run, which scores 0. */
export function gradeSubmission(
  input: ValidityInput & {
    targets: Targets;
    measures: RunMeasures;
    dueAt: Date;
    latePolicy: LatePolicy;
    submittedAt: Date;
  },
): GradeOutcome {
  const late = daysLate(input.submittedAt, input.dueAt);
  const checks = checkTargets(input.targets, input.measures);
  const v = validity(input);
  const raw = v.valid ? scoreOf(checks) : 0;
  const after = applyLatePolicy(raw, late, input.latePolicy);
  if (after.refused) return { refused: true, reason: "past the due date" };
  return {
    refused: false,
    valid: v.valid,
    invalidReason: v.valid ? null : v.reason,
    checks,
    daysLate: late,
    autoScore: after.score,
  };
}

/** The grade that counts: the newest override, else the automatic score. */
export function effectiveGrade(s: { autoScore: number; overrides: { score: number; createdAt: Date }[] }): {
  score: number;
  overridden: boolean;
} {
  let newest: { score: number; createdAt: Date } | null = null;
  for (const o of s.overrides) if (!newest || o.createdAt > newest.createdAt) newest = o;
  return newest ? { score: newest.score, overridden: true } : { score: s.autoScore, overridden: false };
}

export function readChecks(raw: unknown): TargetCheck[] {
  const r = z.array(targetCheckSchema).safeParse(raw);
  return r.success ? r.data : [];
}

export const submitInput = z.object({ assignmentId: z.string().min(1).max(64), runId: z.string().min(1).max(64) });

/** A student submits one of their succeeded runs; it is graded at once and kept, invalid or not. */
export async function submitRun(
  db: Db,
  actor: Actor,
  raw: z.input<typeof submitInput>,
  now: Date = new Date(),
): Promise<string> {
  const input = submitInput.parse(raw);
  if (actor.role !== "student") throw new AppError("FORBIDDEN", "Only students submit runs.");
  const assignment = await requireAssignment(db, actor, input.assignmentId, "view");
  const run = await db.prisma.run.findFirst({
    where: { id: input.runId, studentId: actor.id },
    select: {
      id: true,
      assignmentId: true,
      status: true,
      deviceId: true,
      createdAt: true,
      sessionId: true,
      signatureValid: true,
      accuracy: true,
      p95Ms: true,
      result: true,
    },
  });
  if (!run) throw new AppError("NOT_FOUND", "That run does not exist.");
  if (run.assignmentId !== assignment.id)
    throw new AppError("BAD_REQUEST", "That run was not made for this assignment.");
  if (run.status !== "succeeded") throw new AppError("CONFLICT", "Only a run that succeeded can be submitted.");
  const targets = readTargets(assignment.targets);
  if (!targets) throw new AppError("CONFLICT", "This assignment has no targets to grade against.");
  const session = run.sessionId
    ? await db.prisma.labSession.findUnique({
        where: { id: run.sessionId },
        select: { classId: true, startedAt: true, endedAt: true },
      })
    : null;
  const checkIn = run.sessionId
    ? await db.prisma.sessionCheckIn.findUnique({
        where: { sessionId_studentId: { sessionId: run.sessionId, studentId: actor.id } },
        select: { deviceId: true, checkedInAt: true, checkedOutAt: true },
      })
    : null;
  const result = runResultSchema.safeParse(run.result);
  const outcome = gradeSubmission({
    classId: assignment.classId,
    run,
    session,
    checkIn,
    targets,
    measures: {
      accuracy: run.accuracy,
      p95Ms: run.p95Ms,
      energyJPerInference: result.success ? result.data.system.energyJPerInference : null,
    },
    dueAt: assignment.dueAt,
    latePolicy: readLatePolicy(assignment.latePolicy),
    submittedAt: now,
  });
  if (outcome.refused)
    throw new AppError("CONFLICT", `This assignment no longer accepts submissions: ${outcome.reason}.`);
  const created = await db.prisma.submission.create({
    data: {
      assignmentId: assignment.id,
      studentId: actor.id,
      runId: run.id,
      submittedAt: now,
      valid: outcome.valid,
      invalidReason: outcome.invalidReason,
      checks: outcome.checks,
      daysLate: outcome.daysLate,
      autoScore: outcome.autoScore,
    },
    select: { id: true },
  });
  return created.id;
}
