import { z } from "zod";
import {
  addInstructor,
  addInstructorInput,
  classIdInput,
  classMemberInput,
  createClass,
  createClassInput,
  getClass,
  joinClass,
  joinClassInput,
  listClasses,
  regenerateJoinCode,
  removeInstructor,
  updateClass,
  updateClassInput,
} from "../services/classroom/classes.ts";
import { resetCredentials, resetCredentialsInput } from "../services/classroom/credentials.ts";
import {
  commitRosterImport,
  listRoster,
  previewRosterImport,
  removeStudent,
  rosterImportInput,
  rosterMemberInput,
} from "../services/classroom/roster.ts";
import { audited } from "../trpc/audit.ts";
import { protectedProcedure, router, staffProcedure } from "../trpc/init.ts";

const classSummary = z.object({
  id: z.string(),
  name: z.string(),
  term: z.string(),
  joinCode: z.string().nullable(),
  leaderboardEnabled: z.boolean(),
  canTeach: z.boolean(),
  studentCount: z.number().int(),
  instructorCount: z.number().int(),
  sessionCount: z.number().int(),
  assignmentCount: z.number().int(),
  createdAt: z.date(),
});
const instructorView = z.object({
  id: z.string(),
  name: z.string(),
  username: z.string().nullable(),
  email: z.string(),
  addedAt: z.date(),
});
const classDetail = classSummary.extend({ instructors: z.array(instructorView) });
const rosterStudent = z.object({
  id: z.string(),
  name: z.string(),
  username: z.string().nullable(),
  email: z.string().nullable(),
  externalId: z.string().nullable(),
  joinedAt: z.date(),
});
const previewRow = z.object({
  row: z.number().int(),
  name: z.string(),
  username: z.string().nullable(),
  usernameGenerated: z.boolean(),
  email: z.string().nullable(),
  studentId: z.string().nullable(),
  action: z.enum(["create", "existing", "enrolled"]).nullable(),
  problems: z.array(z.string()),
  warnings: z.array(z.string()),
});
const rosterPreview = z.object({
  ok: z.boolean(),
  fileProblems: z.array(z.string()),
  warnings: z.array(z.string()),
  columns: z.object({
    name: z.string().optional(),
    username: z.string().optional(),
    email: z.string().optional(),
    studentId: z.string().optional(),
  }),
  rows: z.array(previewRow),
  counts: z.object({
    rows: z.number().int(),
    create: z.number().int(),
    existing: z.number().int(),
    enrolled: z.number().int(),
    withProblems: z.number().int(),
  }),
});
const credential = z.object({ userId: z.string(), name: z.string(), username: z.string(), password: z.string() });
const ok = z.object({ ok: z.literal(true) });

/** Classes, rosters and student accounts. Who may do what is decided in services/classroom/access.ts. */
export const classRouter = router({
  /** The classes the caller teaches or attends. */
  list: protectedProcedure.output(z.array(classSummary)).query(({ ctx }) => listClasses(ctx.db, ctx.actor)),

  get: protectedProcedure
    .input(classIdInput)
    .output(classDetail)
    .query(({ ctx, input }) => getClass(ctx.db, ctx.actor, input.classId)),

  /** Instructors and admins create classes; the creator teaches it. */
  create: staffProcedure
    .use(audited("class.create"))
    .input(createClassInput)
    .output(z.object({ id: z.string(), joinCode: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createClass(ctx.db, ctx.actor, input);
      ctx.log.info({ classId: created.id, userId: ctx.user.id }, "class created");
      return created;
    }),

  update: protectedProcedure
    .use(audited("class.update"))
    .input(updateClassInput)
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await updateClass(ctx.db, ctx.actor, input);
      return { ok: true as const };
    }),

  addInstructor: protectedProcedure
    .use(audited("class.addInstructor"))
    .input(addInstructorInput)
    .output(instructorView)
    .mutation(({ ctx, input }) => addInstructor(ctx.db, ctx.actor, input)),

  removeInstructor: protectedProcedure
    .use(audited("class.removeInstructor"))
    .input(classMemberInput)
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await removeInstructor(ctx.db, ctx.actor, input);
      return { ok: true as const };
    }),

  regenerateJoinCode: protectedProcedure
    .use(audited("class.regenerateJoinCode"))
    .input(classIdInput)
    .output(z.object({ joinCode: z.string() }))
    .mutation(async ({ ctx, input }) => ({
      joinCode: await regenerateJoinCode(ctx.db, ctx.actor, input.classId),
    })),

  /** A student joins a class with the code their instructor gave them. */
  join: protectedProcedure
    .input(joinClassInput)
    .output(z.object({ classId: z.string(), name: z.string(), term: z.string(), alreadyJoined: z.boolean() }))
    .mutation(({ ctx, input }) => joinClass(ctx.db, ctx.actor, input)),

  roster: protectedProcedure
    .input(classIdInput)
    .output(z.array(rosterStudent))
    .query(({ ctx, input }) => listRoster(ctx.db, ctx.actor, input.classId)),

  removeStudent: protectedProcedure
    .use(audited("class.removeStudent"))
    .input(rosterMemberInput)
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await removeStudent(ctx.db, ctx.actor, input);
      return { ok: true as const };
    }),

  /** Checks a roster CSV and lists every row with its problems; writes nothing. */
  importPreview: protectedProcedure
    .input(rosterImportInput)
    .output(rosterPreview)
    .mutation(({ ctx, input }) => previewRosterImport(ctx.db, ctx.actor, input)),

  /** Imports a roster CSV, all or nothing; answers the new accounts' passwords, once. */
  importCommit: protectedProcedure
    .use(
      audited("class.importCommit", {
        targetId: (input) => (input as { classId?: string } | undefined)?.classId ?? null,
      }),
    )
    .input(rosterImportInput)
    .output(
      z.object({
        created: z.number().int(),
        added: z.number().int(),
        alreadyEnrolled: z.number().int(),
        credentials: z.array(credential),
        csv: z.string(),
      }),
    )
    .mutation(({ ctx, input }) => commitRosterImport(ctx.db, ctx.auth, ctx.actor, input)),

  /** A new generated password for a student of the class, answered once; their sessions end. */
  resetCredentials: protectedProcedure
    .use(audited("class.resetCredentials"))
    .input(resetCredentialsInput)
    .output(credential.extend({ csv: z.string() }))
    .mutation(({ ctx, input }) => resetCredentials(ctx.db, ctx.auth, ctx.actor, input)),
});
