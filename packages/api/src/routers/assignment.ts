import { z } from "zod";
import {
  assignmentListItemSchema,
  assignmentViewSchema,
  createAssignment,
  createAssignmentInput,
  deleteAssignment,
  getAssignment,
  listAssignments,
  setPublished,
  updateAssignment,
  updateAssignmentInput,
} from "../services/classroom/assignments.ts";
import {
  getSubmission,
  gradebook,
  gradebookCsv,
  gradebookSchema,
  leaderboard,
  leaderboardSchema,
  listSubmissions,
  overrideGrade,
  overrideInput,
  submissionViewSchema,
} from "../services/classroom/gradebook.ts";
import { submitInput, submitRun } from "../services/classroom/grading.ts";
import {
  myRuns,
  mySeat,
  seatViewSchema,
  startStudentRun,
  startStudentRunInput,
} from "../services/classroom/student-runs.ts";
import { runDetailSchema, runSummarySchema } from "../services/runs/views.ts";
import { audited } from "../trpc/audit.ts";
import { protectedProcedure, router } from "../trpc/init.ts";

const id = z.string().min(1).max(64);

/**
 * Assignments, student runs, submissions, grades and the gradebook. Every procedure authorizes through
 * services/classroom/access.ts: what a caller may not see is NOT_FOUND; what they may see but not change is FORBIDDEN.
 */
export const assignmentRouter = router({
  list: protectedProcedure
    .input(z.object({ classId: id }))
    .output(z.array(assignmentListItemSchema))
    .query(({ ctx, input }) => listAssignments(ctx.db, ctx.actor, input.classId)),

  get: protectedProcedure
    .input(z.object({ id }))
    .output(assignmentViewSchema)
    .query(({ ctx, input }) => getAssignment(ctx.db, ctx.actor, input.id)),

  create: protectedProcedure
    .use(audited("assignment.create"))
    .input(createAssignmentInput)
    .output(assignmentViewSchema)
    .mutation(({ ctx, input }) => createAssignment(ctx.db, ctx.actor, input)),

  update: protectedProcedure
    .use(audited("assignment.update"))
    .input(updateAssignmentInput)
    .output(assignmentViewSchema)
    .mutation(({ ctx, input }) => updateAssignment(ctx.db, ctx.actor, input)),

  publish: protectedProcedure
    .use(audited("assignment.publish"))
    .input(z.object({ id }))
    .output(assignmentViewSchema)
    .mutation(({ ctx, input }) => setPublished(ctx.db, ctx.actor, input.id, true)),

  unpublish: protectedProcedure
    .use(audited("assignment.unpublish"))
    .input(z.object({ id }))
    .output(assignmentViewSchema)
    .mutation(({ ctx, input }) => setPublished(ctx.db, ctx.actor, input.id, false)),

  delete: protectedProcedure
    .use(audited("assignment.delete"))
    .input(z.object({ id }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteAssignment(ctx.db, ctx.actor, input.id);
      return { ok: true as const };
    }),

  /** The student's seat for this assignment's class: their open check-in in a running session. */
  mySeat: protectedProcedure
    .input(z.object({ assignmentId: id }))
    .output(seatViewSchema)
    .query(({ ctx, input }) => mySeat({ db: ctx.db, hub: ctx.hub }, ctx.actor, input.assignmentId)),

  /** A student's run on their checked-in device, within the assignment's bounds. */
  startRun: protectedProcedure
    .input(startStudentRunInput)
    .output(runDetailSchema)
    .mutation(({ ctx, input }) => startStudentRun({ db: ctx.db, hub: ctx.hub }, ctx.actor, input)),

  myRuns: protectedProcedure
    .input(z.object({ assignmentId: id }))
    .output(z.array(runSummarySchema))
    .query(({ ctx, input }) => myRuns(ctx.db, ctx.actor, input.assignmentId)),

  submit: protectedProcedure
    .input(submitInput)
    .output(submissionViewSchema)
    .mutation(async ({ ctx, input }) => {
      const actor = ctx.actor;
      return getSubmission(ctx.db, actor, await submitRun(ctx.db, actor, input));
    }),

  /** Newest first with grade history; a student gets only their own. */
  submissions: protectedProcedure
    .input(z.object({ assignmentId: id, studentId: id.optional() }))
    .output(z.array(submissionViewSchema))
    .query(({ ctx, input }) => listSubmissions(ctx.db, ctx.actor, input)),

  override: protectedProcedure
    .use(audited("grade.override"))
    .input(overrideInput)
    .output(submissionViewSchema)
    .mutation(({ ctx, input }) => overrideGrade(ctx.db, ctx.actor, input)),

  gradebook: protectedProcedure
    .input(z.object({ classId: id }))
    .output(gradebookSchema)
    .query(({ ctx, input }) => gradebook(ctx.db, ctx.actor, input.classId)),

  exportCsv: protectedProcedure
    .input(z.object({ classId: id }))
    .output(z.object({ filename: z.string(), csv: z.string() }))
    .query(async ({ ctx, input }) => ({
      filename: `gradebook-${input.classId}.csv`,
      csv: await gradebookCsv(ctx.db, ctx.actor, input.classId),
    })),

  leaderboard: protectedProcedure
    .input(z.object({ assignmentId: id }))
    .output(leaderboardSchema)
    .query(({ ctx, input }) => leaderboard(ctx.db, ctx.actor, input.assignmentId)),
});
