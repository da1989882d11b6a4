import { randomInt } from "node:crypto";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { isStaff, parseRole } from "../../roles.ts";
import type { Db } from "../deps.ts";
import { type Actor, classWhere, requireClass, requireStudent } from "./access.ts";

export const CLASS_LIMITS = { name: 120, term: 60, joinCodeMin: 6, joinCodeMax: 8, userQuery: 254 } as const;

// No 0/O, 1/I/L: a join code is read off a projector and typed by hand.
export const JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

const idSchema = z.string().min(1).max(64);
export const classNameSchema = z.string().trim().min(1, "A class needs a name").max(CLASS_LIMITS.name);
export const termSchema = z.string().trim().min(1, "Say which term (e.g. Fall 2026)").max(CLASS_LIMITS.term);
/** What a person types: case, spaces and dashes do not matter. */
export const joinCodeSchema = z
  .string()
  .max(32)
  .transform((s) => s.toUpperCase().replace(/[\s-]/g, ""))
  .pipe(
    z
      .string()
      .min(CLASS_LIMITS.joinCodeMin, "A join code has 6 to 8 letters and digits")
      .max(CLASS_LIMITS.joinCodeMax, "A join code has 6 to 8 letters and digits")
      .regex(/^[A-Z0-9]+$/, "A join code has only letters and digits"),
  );

export const createClassInput = z.object({ name: classNameSchema, term: termSchema });
export const updateClassInput = z.object({
  id: idSchema,
  name: classNameSchema.optional(),
  term: termSchema.optional(),
  leaderboardEnabled: z.boolean().optional(),
});
export const classIdInput = z.object({ classId: idSchema });
export const addInstructorInput = z.object({
  classId: idSchema,
  /** A username or an e-mail address of an instructor account. */
  user: z.string().trim().min(1, "Give a username or an e-mail address").max(CLASS_LIMITS.userQuery),
});
export const classMemberInput = z.object({ classId: idSchema, userId: idSchema });
export const joinClassInput = z.object({ code: joinCodeSchema });

export function generateJoinCode(length: number = CLASS_LIMITS.joinCodeMin): string {
  let code = "";
  for (let i = 0; i < length; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}

export interface JoinCodeOptions {
  /** Where codes come from (tests force collisions with it). */
  generate?: (length: number) => string;
}

const MAX_JOIN_CODE_ATTEMPTS = 12;

/**
 * Writes a row with a fresh join code, retrying on a collision with a longer code every few attempts. The database's
 * unique index is the arbiter, so two classes created at once cannot share a code.
 */
async function withUniqueJoinCode<T>(db: Db, write: (code: string) => Promise<T>, opts: JoinCodeOptions): Promise<T> {
  const generate = opts.generate ?? generateJoinCode;
  for (let attempt = 0; attempt < MAX_JOIN_CODE_ATTEMPTS; attempt++) {
    const length = Math.min(CLASS_LIMITS.joinCodeMin + Math.floor(attempt / 4), CLASS_LIMITS.joinCodeMax);
    const code = generate(length);
    try {
      return await write(code);
    } catch (e) {
      // Only a collision on the join code is retried; any other unique violation is a real error.
      if (!isUniqueViolation(e)) throw e;
      const taken = await db.prisma.class.findUnique({ where: { joinCode: code }, select: { id: true } });
      if (!taken) throw e;
    }
  }
  throw new AppError("CONFLICT", "Could not find a free join code. Please try again.");
}

export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/** The columns and counts a class summary is made from. */
const summarySelect = {
  id: true,
  name: true,
  term: true,
  joinCode: true,
  leaderboardEnabled: true,
  createdAt: true,
  _count: { select: { students: true, instructors: true, sessions: true, assignments: true } },
} as const;

export interface ClassSummary {
  id: string;
  name: string;
  term: string;
  /** Null for students: only the people who teach the class hand the code out. */
  joinCode: string | null;
  leaderboardEnabled: boolean;
  canTeach: boolean;
  studentCount: number;
  instructorCount: number;
  sessionCount: number;
  assignmentCount: number;
  createdAt: Date;
}

interface ClassRow {
  id: string;
  name: string;
  term: string;
  joinCode: string;
  leaderboardEnabled: boolean;
  createdAt: Date;
  _count: { students: number; instructors: number; sessions: number; assignments: number };
}

/** A class as the actor sees it: the join code only for those who teach it. */
function summarise(actor: Actor, c: ClassRow, instructorIds: string[]): ClassSummary {
  const teach = canTeach(actor, instructorIds);
  return {
    id: c.id,
    name: c.name,
    term: c.term,
    joinCode: teach ? c.joinCode : null,
    leaderboardEnabled: c.leaderboardEnabled,
    canTeach: teach,
    studentCount: c._count.students,
    instructorCount: c._count.instructors,
    sessionCount: c._count.sessions,
    assignmentCount: c._count.assignments,
    createdAt: c.createdAt,
  };
}

function canTeach(actor: Actor, instructorIds: string[]): boolean {
  return actor.role === "admin" || (actor.role === "instructor" && instructorIds.includes(actor.id));
}

export async function listClasses(db: Db, actor: Actor): Promise<ClassSummary[]> {
  const rows = await db.prisma.class.findMany({
    where: { AND: [classWhere(actor), { archivedAt: null }] },
    select: { ...summarySelect, instructors: { select: { userId: true } } },
    orderBy: [{ createdAt: "desc" }, { name: "asc" }],
    take: 500,
  });
  return rows.map((c) =>
    summarise(
      actor,
      c,
      c.instructors.map((i) => i.userId),
    ),
  );
}

export interface ClassInstructorView {
  id: string;
  name: string;
  username: string | null;
  email: string;
  addedAt: Date;
}

export interface ClassDetail extends ClassSummary {
  instructors: ClassInstructorView[];
}

export async function getClass(db: Db, actor: Actor, classId: string): Promise<ClassDetail> {
  await requireClass(db, actor, classId, "view");
  const c = await db.prisma.class.findUniqueOrThrow({
    where: { id: classId },
    select: {
      ...summarySelect,
      instructors: {
        select: { addedAt: true, user: { select: { id: true, name: true, username: true, email: true } } },
        orderBy: { addedAt: "asc" },
      },
    },
  });
  return {
    ...summarise(
      actor,
      c,
      c.instructors.map((i) => i.user.id),
    ),
    instructors: c.instructors.map((i) => ({ ...i.user, addedAt: i.addedAt })),
  };
}

/** Creates a class taught by its creator (an instructor or an admin: the router admits only staff). */
export async function createClass(
  db: Db,
  actor: Actor,
  input: z.input<typeof createClassInput>,
  opts: JoinCodeOptions = {},
): Promise<{ id: string; joinCode: string }> {
  const data = createClassInput.parse(input);
  return withUniqueJoinCode(
    db,
    (joinCode) =>
      db.prisma.class.create({
        data: {
          name: data.name,
          term: data.term,
          joinCode,
          createdById: actor.id,
          instructors: { create: { userId: actor.id } },
        },
        select: { id: true, joinCode: true },
      }),
    opts,
  );
}

export async function updateClass(db: Db, actor: Actor, input: z.input<typeof updateClassInput>): Promise<void> {
  const data = updateClassInput.parse(input);
  await requireClass(db, actor, data.id, "teach");
  await db.prisma.class.update({
    where: { id: data.id },
    data: {
      ...(data.name !== undefined ? { name: data.name } : {}),
      ...(data.term !== undefined ? { term: data.term } : {}),
      ...(data.leaderboardEnabled !== undefined ? { leaderboardEnabled: data.leaderboardEnabled } : {}),
    },
  });
}

export async function regenerateJoinCode(
  db: Db,
  actor: Actor,
  classId: string,
  opts: JoinCodeOptions = {},
): Promise<string> {
  await requireClass(db, actor, classId, "teach");
  const updated = await withUniqueJoinCode(
    db,
    (joinCode) => db.prisma.class.update({ where: { id: classId }, data: { joinCode }, select: { joinCode: true } }),
    opts,
  );
  return updated.joinCode;
}

/** Adds a co-instructor, found by username or e-mail; only instructor (or admin) accounts can teach. */
export async function addInstructor(
  db: Db,
  actor: Actor,
  input: z.input<typeof addInstructorInput>,
): Promise<ClassInstructorView> {
  const data = addInstructorInput.parse(input);
  await requireClass(db, actor, data.classId, "teach");
  const key = data.user.toLowerCase();
  const user = await db.prisma.user.findFirst({
    where: key.includes("@") ? { email: key } : { username: key },
    select: { id: true, name: true, username: true, email: true, role: true },
  });
  if (!user || !isStaff(parseRole(user.role))) {
    throw new AppError(
      "NOT_FOUND",
      `No instructor account has the ${key.includes("@") ? "e-mail" : "username"} "${data.user}".`,
    );
  }
  try {
    const row = await db.prisma.classInstructor.create({
      data: { classId: data.classId, userId: user.id },
      select: { addedAt: true },
    });
    return { id: user.id, name: user.name, username: user.username, email: user.email, addedAt: row.addedAt };
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `${user.name} already teaches this class.`);
    throw e;
  }
}

/** Removes an instructor; the last one stays, so that a class is never left without a teacher. */
export async function removeInstructor(db: Db, actor: Actor, input: z.input<typeof classMemberInput>): Promise<void> {
  const data = classMemberInput.parse(input);
  await requireClass(db, actor, data.classId, "teach");
  await db.prisma.$transaction(async (tx) => {
    // The class row's lock serialises two removals that would each leave the other as the last instructor.
    await tx.$queryRaw`SELECT id FROM "class" WHERE id = ${data.classId} FOR UPDATE`;
    const instructors = await tx.classInstructor.findMany({
      where: { classId: data.classId },
      select: { userId: true },
    });
    if (!instructors.some((i) => i.userId === data.userId)) {
      throw new AppError("NOT_FOUND", "That person does not teach this class.");
    }
    if (instructors.length <= 1) {
      throw new AppError("CONFLICT", "A class needs at least one instructor: add another before removing this one.");
    }
    await tx.classInstructor.delete({ where: { classId_userId: { classId: data.classId, userId: data.userId } } });
  });
}

/**
 * A student joins a class with its join code. Joining twice is harmless. Staff do not join rosters: they are
 * added as instructors instead.
 */
export async function joinClass(
  db: Db,
  actor: Actor,
  input: z.input<typeof joinClassInput>,
): Promise<{ classId: string; name: string; term: string; alreadyJoined: boolean }> {
  const data = joinClassInput.parse(input);
  requireStudent(actor);
  const cls = await db.prisma.class.findFirst({
    where: { joinCode: data.code, archivedAt: null },
    select: { id: true, name: true, term: true },
  });
  if (!cls) throw new AppError("NOT_FOUND", "No class has that join code. Check it with your instructor.");
  const result = await db.prisma.classStudent.createMany({
    data: [{ classId: cls.id, userId: actor.id }],
    skipDuplicates: true,
  });
  return { classId: cls.id, name: cls.name, term: cls.term, alreadyJoined: result.count === 0 };
}
