// Who is asking, and the classes they teach: what both the classroom's access rules (classroom/access.ts) and the
// fleet's scope (fleet-scope.ts) build on, kept apart so that neither has to import the other for it.
import type { Prisma } from "@labfleet/db";
import type { Role } from "../roles.ts";

export interface Actor {
  id: string;
  role: Role;
}

/** The classes the actor may teach (change, grade, see all students' work). */
export function teachingWhere(actor: Actor): Prisma.ClassWhereInput {
  switch (actor.role) {
    case "admin":
      return {};
    case "instructor":
      return { instructors: { some: { userId: actor.id } } };
    case "student":
      return { id: { in: [] } };
  }
}
