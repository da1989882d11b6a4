// Who may see and do what in the classroom, in one place per role. Every classroom service asks here; a row the
// actor may not see is NOT_FOUND (never "forbidden"), so that ids do not reveal what exists.
//   admin       everything
//   instructor  the classes they teach, with their sessions, assignments, students' runs and grades
//   student     the classes they are on the roster of, their own check-ins, runs, submissions and grades
import type { Prisma } from "@labfleet/db";
import { AppError } from "../../errors.ts";
import { type Actor, teachingWhere } from "../actor.ts";
import type { Db } from "../deps.ts";
import { deviceWhere } from "../fleet-scope.ts";

export { type Actor, teachingWhere };

/** "view": read it; "teach": change it or see everyone's work in it (instructors of the class, admins). */
export type ClassAccess = "view" | "teach";

/** The classes the actor may see: staff those they teach, a student those they are on the roster of. */
export function classWhere(actor: Actor): Prisma.ClassWhereInput {
  return actor.role === "student" ? { students: { some: { userId: actor.id } } } : teachingWhere(actor);
}

/** The class, when the actor has `need` on it; NOT_FOUND otherwise (FORBIDDEN when they can see but not teach). */
export async function requireClass(db: Db, actor: Actor, classId: string, need: ClassAccess) {
  const cls = await db.prisma.class.findFirst({ where: { AND: [{ id: classId }, classWhere(actor)] } });
  if (!cls) throw new AppError("NOT_FOUND", "That class does not exist.");
  if (need === "teach" && actor.role === "student") {
    throw new AppError("FORBIDDEN", "Only the class's instructors can do this.");
  }
  return cls;
}

/** A lab session, checked through its class. */
export async function requireSession(db: Db, actor: Actor, sessionId: string, need: ClassAccess) {
  const session = await db.prisma.labSession.findFirst({
    where: { AND: [{ id: sessionId }, { class: classWhere(actor) }] },
  });
  if (!session) throw new AppError("NOT_FOUND", "That lab session does not exist.");
  if (need === "teach") await requireClass(db, actor, session.classId, "teach");
  return session;
}

/** An assignment, checked through its class; students never see an unpublished one. */
export async function requireAssignment(db: Db, actor: Actor, assignmentId: string, need: ClassAccess) {
  const where: Prisma.AssignmentWhereInput =
    actor.role === "student"
      ? { AND: [{ id: assignmentId }, { class: classWhere(actor) }, { publishedAt: { not: null } }] }
      : { AND: [{ id: assignmentId }, { class: classWhere(actor) }] };
  const assignment = await db.prisma.assignment.findFirst({ where });
  if (!assignment) throw new AppError("NOT_FOUND", "That assignment does not exist.");
  if (need === "teach") await requireClass(db, actor, assignment.classId, "teach");
  return assignment;
}

/**
 * The runs the actor may see: an admin all; an instructor the runs staff started on the devices they see (fleet
 * benchmarks, fleet-scope.ts) and the runs of the classes they teach; a student only their own.
 */
export function runWhere(actor: Actor): Prisma.RunWhereInput {
  switch (actor.role) {
    case "admin":
      return {};
    case "instructor":
      return {
        OR: [
          { studentId: null, device: deviceWhere(actor) },
          { assignment: { class: teachingWhere(actor) } },
          { session: { class: teachingWhere(actor) } },
        ],
      };
    case "student":
      return { studentId: actor.id };
  }
}

/** The submissions (and so grades) the actor may see. */
export function submissionWhere(actor: Actor): Prisma.SubmissionWhereInput {
  switch (actor.role) {
    case "admin":
      return {};
    case "instructor":
      return { assignment: { class: teachingWhere(actor) } };
    case "student":
      return { studentId: actor.id };
  }
}

/** Only student accounts join a roster with a code; staff are added as instructors. */
export function requireStudent(actor: Actor): void {
  if (actor.role !== "student") {
    throw new AppError("FORBIDDEN", "Only student accounts join a class with a code; instructors are added to it.");
  }
}
