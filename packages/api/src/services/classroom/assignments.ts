// Assignments: what students run, within which bounds, against which targets, by when.
import type { Prisma } from "@labfleet/db";
import { runKindSchema, runSpecSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, classWhere, requireAssignment, requireClass } from "./access.ts";
import { effectiveGrade } from "./grading.ts";

const id = z.string().min(1).max(64);

/** An inclusive range within the protocol's own limits for that field. */
function rangeSchema(lo: number, hi: number) {
  return z
    .object({ min: z.number().int().min(lo).max(hi), max: z.number().int().min(lo).max(hi) })
    .refine((r) => r.min <= r.max, { message: "min must be at most max", path: ["max"] });
}

/** What a student may change. Limits are the protocol's (runSpecSchema): threads 1–1024, batch size 1–256. */
export const boundsSchema = z.object({
  threads: rangeSchema(1, 1_024).optional(),
  batchSize: rangeSchema(1, 256).optional(),
});
export type Bounds = z.infer<typeof boundsSchema>;

export const targetsSchema = z
  .object({
    /** Mean evaluation score, 0–1. */
    accuracyMin: z.number().min(0).max(1).optional(),
    p95MsMax: z.number().positive().max(1e9).optional(),
    /** Joules per inference. */
    energyJMax: z.number().positive().max(1e6).optional(),
  })
  .refine((t) => t.accuracyMin !== undefined || t.p95MsMax !== undefined || t.energyJMax !== undefined, {
    message: "set at least one target",
  });
export type Targets = z.infer<typeof targetsSchema>;

export const latePolicySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("accept") }),
  z.object({ kind: z.literal("reject") }),
  z.object({
    kind: z.literal("penalty"),
    /** Points off (of 100) for each started day late. */
    percentPerDay: z.number().min(0).max(100),
    /** After this many days a submission is refused. */
    maxDays: z.number().int().min(0).max(365),
  }),
]);
export type LatePolicy = z.infer<typeof latePolicySchema>;

const fieldsSchema = z.object({
  title: z.string().trim().min(1).max(200),
  /** Markdown, rendered without raw HTML. */
  instructions: z.string().max(20_000),
  kind: runKindSchema,
  /** The variants a student may choose among, in this order. */
  versionIds: z.array(id).min(1).max(8),
  baseSpec: runSpecSchema,
  bounds: boundsSchema,
  targets: targetsSchema,
  dueAt: z.date(),
  latePolicy: latePolicySchema,
});

function within(value: number | undefined, range: { min: number; max: number } | undefined): boolean {
  return value === undefined || range === undefined || (value >= range.min && value <= range.max);
}

/** Checks between fields: the base spec must be of the assignment's kind and inside its own bounds. */
function refineFields(f: z.infer<typeof fieldsSchema>, ctx: z.RefinementCtx): void {
  if (f.baseSpec.kind !== f.kind) {
    ctx.addIssue({ code: "custom", message: "the run spec's kind must be the assignment's kind", path: ["baseSpec"] });
  }
  if (!within(f.baseSpec.threads, f.bounds.threads)) {
    ctx.addIssue({ code: "custom", message: "the base threads are outside the threads bounds", path: ["baseSpec"] });
  }
  if (!within(f.baseSpec.batchSize, f.bounds.batchSize)) {
    ctx.addIssue({ code: "custom", message: "the base batch size is outside its bounds", path: ["baseSpec"] });
  }
}

export const createAssignmentInput = fieldsSchema.extend({ classId: id }).superRefine(refineFields);
export const updateAssignmentInput = fieldsSchema.extend({ id }).superRefine(refineFields);

const versionSchema = z.object({
  id: z.string(),
  variant: z.string(),
  model: z.object({ id: z.string(), name: z.string() }),
});

export const assignmentViewSchema = z.object({
  id: z.string(),
  classId: z.string(),
  title: z.string(),
  instructions: z.string(),
  kind: runKindSchema,
  versions: z.array(versionSchema),
  baseSpec: runSpecSchema.nullable(),
  bounds: boundsSchema,
  targets: targetsSchema.nullable(),
  dueAt: z.date(),
  latePolicy: latePolicySchema,
  publishedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type AssignmentView = z.infer<typeof assignmentViewSchema>;

const viewSelect = {
  id: true,
  classId: true,
  title: true,
  instructions: true,
  kind: true,
  baseSpec: true,
  bounds: true,
  targets: true,
  dueAt: true,
  latePolicy: true,
  publishedAt: true,
  createdAt: true,
  updatedAt: true,
  versions: {
    orderBy: { position: "asc" },
    select: { version: { select: { id: true, variant: true, model: { select: { id: true, name: true } } } } },
  },
} satisfies Prisma.AssignmentSelect;

type ViewRow = Prisma.AssignmentGetPayload<{ select: typeof viewSelect }>;

/** Stored JSON read back through the same schemas; a row that no longer parses shows as empty, not as a crash. */
export function readBounds(raw: unknown): Bounds {
  const r = boundsSchema.safeParse(raw);
  return r.success ? r.data : {};
}
export function readTargets(raw: unknown): Targets | null {
  const r = targetsSchema.safeParse(raw);
  return r.success ? r.data : null;
}
export function readLatePolicy(raw: unknown): LatePolicy {
  const r = latePolicySchema.safeParse(raw);
  return r.success ? r.data : { kind: "accept" };
}

function toView(a: ViewRow): AssignmentView {
  const kind = runKindSchema.safeParse(a.kind);
  const spec = runSpecSchema.safeParse(a.baseSpec);
  return {
    id: a.id,
    classId: a.classId,
    title: a.title,
    instructions: a.instructions,
    kind: kind.success ? kind.data : "benchmark",
    versions: a.versions.map((v) => v.version),
    baseSpec: spec.success ? spec.data : null,
    bounds: readBounds(a.bounds),
    targets: readTargets(a.targets),
    dueAt: a.dueAt,
    latePolicy: readLatePolicy(a.latePolicy),
    publishedAt: a.publishedAt,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export async function getAssignment(db: Db, actor: Actor, assignmentId: string): Promise<AssignmentView> {
  await requireAssignment(db, actor, assignmentId, "view");
  const row = await db.prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId }, select: viewSelect });
  return toView(row);
}

async function checkVersions(db: Db, versionIds: string[]): Promise<string[]> {
  const unique = [...new Set(versionIds)];
  const found = await db.prisma.modelVersion.findMany({ where: { id: { in: unique } }, select: { id: true } });
  const known = new Set(found.map((v) => v.id));
  const missing = unique.find((v) => !known.has(v));
  if (missing) throw new AppError("BAD_REQUEST", `No model version with id ${missing}.`);
  return unique;
}

function dataOf(input: z.infer<typeof fieldsSchema>) {
  return {
    title: input.title,
    instructions: input.instructions,
    kind: input.kind,
    baseSpec: input.baseSpec,
    bounds: input.bounds,
    targets: input.targets,
    dueAt: input.dueAt,
    latePolicy: input.latePolicy,
  };
}

export async function createAssignment(
  db: Db,
  actor: Actor,
  raw: z.input<typeof createAssignmentInput>,
): Promise<AssignmentView> {
  const input = createAssignmentInput.parse(raw);
  await requireClass(db, actor, input.classId, "teach");
  const versionIds = await checkVersions(db, input.versionIds);
  const row = await db.prisma.assignment.create({
    data: {
      ...dataOf(input),
      classId: input.classId,
      createdById: actor.id,
      versions: { create: versionIds.map((versionId, position) => ({ versionId, position })) },
    },
    select: viewSelect,
  });
  return toView(row);
}

export async function updateAssignment(
  db: Db,
  actor: Actor,
  raw: z.input<typeof updateAssignmentInput>,
): Promise<AssignmentView> {
  const input = updateAssignmentInput.parse(raw);
  await requireAssignment(db, actor, input.id, "teach");
  const versionIds = await checkVersions(db, input.versionIds);
  const row = await db.prisma.$transaction(async (tx) => {
    await tx.assignmentVersion.deleteMany({ where: { assignmentId: input.id } });
    return tx.assignment.update({
      where: { id: input.id },
      data: {
        ...dataOf(input),
        versions: { create: versionIds.map((versionId, position) => ({ versionId, position })) },
      },
      select: viewSelect,
    });
  });
  return toView(row);
}

export async function setPublished(db: Db, actor: Actor, assignmentId: string, published: boolean) {
  await requireAssignment(db, actor, assignmentId, "teach");
  const row = await db.prisma.assignment.update({
    where: { id: assignmentId },
    data: { publishedAt: published ? new Date() : null },
    select: viewSelect,
  });
  return toView(row);
}

/** Only an assignment nobody submitted to: grades are never thrown away by accident. */
export async function deleteAssignment(db: Db, actor: Actor, assignmentId: string): Promise<void> {
  await requireAssignment(db, actor, assignmentId, "teach");
  const submissions = await db.prisma.submission.count({ where: { assignmentId } });
  if (submissions > 0) {
    throw new AppError(
      "CONFLICT",
      `Students have submitted to this assignment (${submissions}); unpublish it instead.`,
    );
  }
  await db.prisma.assignment.delete({ where: { id: assignmentId } });
}

export const assignmentListItemSchema = assignmentViewSchema.extend({
  /** A student's own status; null for instructors. */
  mine: z
    .object({
      submitted: z.boolean(),
      submittedAt: z.date().nullable(),
      grade: z.number().nullable(),
      valid: z.boolean().nullable(),
      daysLate: z.number().int(),
      overridden: z.boolean(),
    })
    .nullable(),
  /** How many students have submitted; null for students. */
  submittedCount: z.number().int().nullable(),
});
export type AssignmentListItem = z.infer<typeof assignmentListItemSchema>;

/** A class's assignments by due date: students see the published ones, each with their own status. */
export async function listAssignments(db: Db, actor: Actor, classId: string): Promise<AssignmentListItem[]> {
  await requireClass(db, actor, classId, "view");
  const student = actor.role === "student";
  const rows = await db.prisma.assignment.findMany({
    where: { classId, class: classWhere(actor), ...(student ? { publishedAt: { not: null } } : {}) },
    select: viewSelect,
    orderBy: [{ dueAt: "asc" }, { createdAt: "asc" }],
  });
  const ids = rows.map((r) => r.id);
  if (!student) {
    const counts = await db.prisma.submission.groupBy({
      by: ["assignmentId", "studentId"],
      where: { assignmentId: { in: ids } },
    });
    return rows.map((r) => ({
      ...toView(r),
      mine: null,
      submittedCount: counts.filter((c) => c.assignmentId === r.id).length,
    }));
  }
  const subs = await db.prisma.submission.findMany({
    where: { assignmentId: { in: ids }, studentId: actor.id },
    orderBy: { submittedAt: "desc" },
    select: {
      assignmentId: true,
      submittedAt: true,
      valid: true,
      daysLate: true,
      autoScore: true,
      overrides: { select: { score: true, createdAt: true } },
    },
  });
  return rows.map((r) => {
    const newest = subs.find((s) => s.assignmentId === r.id);
    const grade = newest ? effectiveGrade(newest) : null;
    return {
      ...toView(r),
      submittedCount: null,
      mine: {
        submitted: newest !== undefined,
        submittedAt: newest?.submittedAt ?? null,
        grade: grade?.score ?? null,
        valid: newest?.valid ?? null,
        daysLate: newest?.daysLate ?? 0,
        overridden: grade?.overridden ?? false,
      },
    };
  });
}
