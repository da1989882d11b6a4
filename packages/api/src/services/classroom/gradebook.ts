// Submissions with their grade history, instructor overrides, the class gradebook (and its CSV), the leaderboard.
import type { Prisma } from "@labfleet/db";
import Papa from "papaparse";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireAssignment, requireClass, submissionWhere } from "./access.ts";
import { effectiveGrade, readChecks, targetCheckSchema } from "./grading.ts";

const studentSchema = z.object({ id: z.string(), name: z.string(), username: z.string().nullable() });

export const submissionViewSchema = z.object({
  id: z.string(),
  assignmentId: z.string(),
  student: studentSchema,
  runId: z.string(),
  run: z.object({
    deviceName: z.string(),
    variant: z.string(),
    p95Ms: z.number().nullable(),
    accuracy: z.number().nullable(),
    throughput: z.number().nullable(),
  }),
  submittedAt: z.date(),
  valid: z.boolean(),
  invalidReason: z.string().nullable(),
  checks: z.array(targetCheckSchema),
  daysLate: z.number().int(),
  autoScore: z.number(),
  /** The grade that counts: the newest override, else autoScore. */
  score: z.number(),
  overridden: z.boolean(),
  /** Newest first, with who and why. */
  overrides: z.array(
    z.object({
      id: z.string(),
      score: z.number(),
      comment: z.string(),
      by: z.object({ id: z.string(), name: z.string() }),
      createdAt: z.date(),
    }),
  ),
});
export type SubmissionView = z.infer<typeof submissionViewSchema>;

const submissionSelect = {
  id: true,
  assignmentId: true,
  runId: true,
  submittedAt: true,
  valid: true,
  invalidReason: true,
  checks: true,
  daysLate: true,
  autoScore: true,
  student: { select: { id: true, name: true, username: true } },
  run: {
    select: {
      p95Ms: true,
      accuracy: true,
      throughput: true,
      device: { select: { name: true } },
      version: { select: { variant: true } },
    },
  },
  overrides: {
    orderBy: { createdAt: "desc" },
    select: { id: true, score: true, comment: true, createdAt: true, by: { select: { id: true, name: true } } },
  },
} satisfies Prisma.SubmissionSelect;
type SubmissionRow = Prisma.SubmissionGetPayload<{ select: typeof submissionSelect }>;

function toSubmissionView(s: SubmissionRow): SubmissionView {
  const grade = effectiveGrade(s);
  return {
    id: s.id,
    assignmentId: s.assignmentId,
    student: s.student,
    runId: s.runId,
    run: {
      deviceName: s.run.device.name,
      variant: s.run.version.variant,
      p95Ms: s.run.p95Ms,
      accuracy: s.run.accuracy,
      throughput: s.run.throughput,
    },
    submittedAt: s.submittedAt,
    valid: s.valid,
    invalidReason: s.invalidReason,
    checks: readChecks(s.checks),
    daysLate: s.daysLate,
    autoScore: s.autoScore,
    score: grade.score,
    overridden: grade.overridden,
    overrides: s.overrides,
  };
}

export async function getSubmission(db: Db, actor: Actor, submissionId: string): Promise<SubmissionView> {
  const s = await db.prisma.submission.findFirst({
    where: { AND: [{ id: submissionId }, submissionWhere(actor)] },
    select: submissionSelect,
  });
  if (!s) throw new AppError("NOT_FOUND", "That submission does not exist.");
  return toSubmissionView(s);
}

/** Newest first: an instructor sees every student's, a student only their own. */
export async function listSubmissions(
  db: Db,
  actor: Actor,
  input: { assignmentId: string; studentId?: string | undefined },
): Promise<SubmissionView[]> {
  await requireAssignment(db, actor, input.assignmentId, "view");
  const rows = await db.prisma.submission.findMany({
    where: {
      AND: [
        { assignmentId: input.assignmentId },
        input.studentId ? { studentId: input.studentId } : {},
        submissionWhere(actor),
      ],
    },
    select: submissionSelect,
    orderBy: { submittedAt: "desc" },
    take: 1_000,
  });
  return rows.map(toSubmissionView);
}

export const overrideInput = z.object({
  submissionId: z.string().min(1).max(64),
  score: z.number().min(0).max(100),
  comment: z.string().trim().min(1, "a comment is required").max(2_000),
});

/** An instructor's grade; the automatic one and every earlier override stay in the history. */
export async function overrideGrade(db: Db, actor: Actor, raw: z.input<typeof overrideInput>): Promise<SubmissionView> {
  const input = overrideInput.parse(raw);
  const s = await db.prisma.submission.findFirst({
    where: { AND: [{ id: input.submissionId }, submissionWhere(actor)] },
    select: { assignmentId: true },
  });
  if (!s) throw new AppError("NOT_FOUND", "That submission does not exist.");
  await requireAssignment(db, actor, s.assignmentId, "teach");
  await db.prisma.gradeOverride.create({
    data: { submissionId: input.submissionId, score: input.score, comment: input.comment, byId: actor.id },
  });
  return getSubmission(db, actor, input.submissionId);
}

const cellSchema = z.object({
  assignmentId: z.string(),
  submissionId: z.string().nullable(),
  score: z.number().nullable(),
  late: z.boolean(),
  invalid: z.boolean(),
  overridden: z.boolean(),
});

export const gradebookSchema = z.object({
  assignments: z.array(z.object({ id: z.string(), title: z.string(), dueAt: z.date(), published: z.boolean() })),
  rows: z.array(z.object({ student: studentSchema, cells: z.array(cellSchema), mean: z.number().nullable() })),
});
export type Gradebook = z.infer<typeof gradebookSchema>;

/** A row per student on the roster, a column per assignment; the mean is over the assignments with a grade. */
export async function gradebook(db: Db, actor: Actor, classId: string): Promise<Gradebook> {
  await requireClass(db, actor, classId, "teach");
  const [assignments, roster, subs] = await Promise.all([
    db.prisma.assignment.findMany({
      where: { classId },
      select: { id: true, title: true, dueAt: true, publishedAt: true },
      orderBy: [{ dueAt: "asc" }, { createdAt: "asc" }],
    }),
    db.prisma.classStudent.findMany({
      where: { classId },
      select: { user: { select: { id: true, name: true, username: true } } },
    }),
    db.prisma.submission.findMany({
      where: { assignment: { classId } },
      orderBy: { submittedAt: "desc" },
      select: {
        id: true,
        assignmentId: true,
        studentId: true,
        valid: true,
        daysLate: true,
        autoScore: true,
        overrides: { select: { score: true, createdAt: true } },
      },
    }),
  ]);
  // Newest first, so the first one seen per student and assignment is the one that counts.
  const newest = new Map<string, (typeof subs)[number]>();
  for (const s of subs) {
    const key = `${s.studentId} ${s.assignmentId}`;
    if (!newest.has(key)) newest.set(key, s);
  }
  const students = roster.map((r) => r.user).sort((a, b) => (a.username ?? a.name).localeCompare(b.username ?? b.name));
  return {
    assignments: assignments.map((a) => ({
      id: a.id,
      title: a.title,
      dueAt: a.dueAt,
      published: a.publishedAt !== null,
    })),
    rows: students.map((student) => {
      const cells = assignments.map((a) => {
        const s = newest.get(`${student.id} ${a.id}`);
        if (!s) {
          return {
            assignmentId: a.id,
            submissionId: null,
            score: null,
            late: false,
            invalid: false,
            overridden: false,
          };
        }
        const grade = effectiveGrade(s);
        return {
          assignmentId: a.id,
          submissionId: s.id,
          score: grade.score,
          late: s.daysLate > 0,
          invalid: !s.valid,
          overridden: grade.overridden,
        };
      });
      const graded = cells.map((c) => c.score).filter((x): x is number => x !== null);
      const mean = graded.length === 0 ? null : graded.reduce((a, b) => a + b, 0) / graded.length;
      return { student, cells, mean };
    }),
  };
}

/**
 * A spreadsheet opens a cell starting with = + - @ (or a tab or carriage return) as a formula: prefixing a quote
 * keeps a student's name from running as one.
 */
export function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function formatScore(score: number | null): string {
  return score === null ? "" : String(Math.round(score * 10) / 10);
}

/** username, name, one column per assignment, mean. */
export async function gradebookCsv(db: Db, actor: Actor, classId: string): Promise<string> {
  const book = await gradebook(db, actor, classId);
  const fields = ["username", "name", ...book.assignments.map((a) => a.title), "mean"].map(safeCell);
  const data = book.rows.map((r) =>
    [r.student.username ?? "", r.student.name, ...r.cells.map((c) => formatScore(c.score)), formatScore(r.mean)].map(
      safeCell,
    ),
  );
  return Papa.unparse({ fields, data }, { newline: "\n" });
}

export const leaderboardSchema = z.object({
  assignmentId: z.string(),
  enabled: z.boolean(),
  entries: z.array(
    z.object({
      rank: z.number().int(),
      name: z.string(),
      score: z.number(),
      p95Ms: z.number().nullable(),
      isMe: z.boolean(),
    }),
  ),
});
export type Leaderboard = z.infer<typeof leaderboardSchema>;

function compareNullsLast(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a - b;
}

/**
 * Each student's newest submission when it is valid, by score (high first) then p95 (low first). Students see it
 * only when the class has it on; it shows display names and scores, nothing else of anyone's work.
 */
export async function leaderboard(db: Db, actor: Actor, assignmentId: string): Promise<Leaderboard> {
  const assignment = await requireAssignment(db, actor, assignmentId, "view");
  const cls = await db.prisma.class.findUniqueOrThrow({
    where: { id: assignment.classId },
    select: { leaderboardEnabled: true },
  });
  if (!cls.leaderboardEnabled && actor.role === "student") {
    throw new AppError("FORBIDDEN", "The leaderboard is off for this class.");
  }
  const subs = await db.prisma.submission.findMany({
    where: { assignmentId },
    orderBy: { submittedAt: "desc" },
    select: {
      studentId: true,
      valid: true,
      autoScore: true,
      student: { select: { name: true, displayUsername: true, username: true } },
      run: { select: { p95Ms: true } },
      overrides: { select: { score: true, createdAt: true } },
    },
  });
  const seen = new Set<string>();
  const counted: typeof subs = [];
  for (const s of subs) {
    if (seen.has(s.studentId)) continue;
    seen.add(s.studentId);
    if (s.valid) counted.push(s);
  }
  const ranked = counted
    .map((s) => ({
      name: s.student.name || s.student.displayUsername || s.student.username || "student",
      score: effectiveGrade(s).score,
      p95Ms: s.run.p95Ms,
      isMe: s.studentId === actor.id,
    }))
    .sort((a, b) => b.score - a.score || compareNullsLast(a.p95Ms, b.p95Ms));
  return { assignmentId, enabled: cls.leaderboardEnabled, entries: ranked.map((e, i) => ({ rank: i + 1, ...e })) };
}
