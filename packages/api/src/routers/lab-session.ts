import { z } from "zod";
import { checkIn, checkInInput, checkInResultSchema, checkOut } from "../services/classroom/check-in.ts";
import { answerHelp, helpRequestSchema, lowerHand, raiseHand, raiseHandInput } from "../services/classroom/help.ts";
import { labSeatCodes } from "../services/classroom/seat-codes.ts";
import { getSessionView, sessionViewSchema } from "../services/classroom/session-view.ts";
import {
  cancelSession,
  endSession,
  listClassSessions,
  listMySessions,
  rescheduleSession,
  rescheduleSessionInput,
  scheduleSession,
  scheduleSessionInput,
  sessionSummarySchema,
  startSession,
} from "../services/classroom/sessions.ts";
import { requireLab } from "../services/fleet-scope.ts";
import { audited } from "../trpc/audit.ts";
import { protectedProcedure, router, staffProcedure } from "../trpc/init.ts";

const id = z.string().min(1).max(64);
const idInput = z.object({ id });
const sessionIdInput = z.object({ sessionId: id });

const preparationOutput = z.object({
  deployed: z.array(
    z.object({ versionId: z.string(), label: z.string(), deploymentId: z.string(), deviceIds: z.array(z.string()) }),
  ),
  misfits: z.array(
    z.object({
      versionId: z.string(),
      label: z.string(),
      deviceId: z.string(),
      deviceName: z.string(),
      reason: z.string(),
    }),
  ),
});

/** Lab sessions: schedule, start and end, seat check-in and the help queue. */
export const labSessionRouter = router({
  schedule: protectedProcedure
    .use(audited("session.schedule"))
    .input(scheduleSessionInput)
    .output(sessionSummarySchema)
    .mutation(async ({ ctx, input }) => {
      const session = await scheduleSession(ctx, ctx.actor, input);
      // Booking a room makes it one of the labs the instructor uses: their sockets hear of its devices from now on.
      ctx.hub.joinStaffLabs(ctx.user.id, [input.labId]);
      return session;
    }),

  /** Moves a scheduled session to a new window (same checks as scheduling). */
  reschedule: protectedProcedure
    .use(audited("session.reschedule"))
    .input(rescheduleSessionInput)
    .output(sessionSummarySchema)
    .mutation(({ ctx, input }) => rescheduleSession(ctx, ctx.actor, input)),

  /** A class's sessions, newest first. */
  list: protectedProcedure
    .input(z.object({ classId: id }))
    .output(z.array(sessionSummarySchema))
    .query(({ ctx, input }) => listClassSessions(ctx.db, ctx.actor, input.classId)),

  /** The actor's classes, and their sessions running now or still to come. */
  mine: protectedProcedure
    .output(
      z.object({
        classes: z.array(z.object({ id: z.string(), name: z.string(), term: z.string() })),
        sessions: z.array(sessionSummarySchema),
      }),
    )
    .query(({ ctx }) => listMySessions(ctx.db, ctx.actor)),

  get: protectedProcedure
    .input(idInput)
    .output(sessionViewSchema)
    .query(({ ctx, input }) => getSessionView(ctx.db, ctx.actor, input.id)),

  start: protectedProcedure
    .use(audited("session.start"))
    .input(idInput)
    .output(z.object({ session: sessionSummarySchema, preparation: preparationOutput }))
    .mutation(({ ctx, input }) => startSession(ctx, ctx.actor, input.id)),

  end: protectedProcedure
    .use(audited("session.end"))
    .input(idInput)
    .output(z.object({ session: sessionSummarySchema, checkedOut: z.number().int(), runsCancelled: z.number().int() }))
    .mutation(({ ctx, input }) => endSession(ctx, ctx.actor, input.id)),

  cancel: protectedProcedure
    .use(audited("session.cancel"))
    .input(idInput)
    .output(sessionSummarySchema)
    .mutation(({ ctx, input }) => cancelSession(ctx, ctx.actor, input.id)),

  checkIn: protectedProcedure
    .input(checkInInput)
    .output(checkInResultSchema)
    .mutation(({ ctx, input }) => checkIn(ctx, ctx.actor, input)),

  checkOut: protectedProcedure
    .input(sessionIdInput)
    .output(z.object({ checkedOut: z.boolean() }))
    .mutation(({ ctx, input }) => checkOut(ctx, ctx.actor, input.sessionId)),

  raiseHand: protectedProcedure
    .input(raiseHandInput)
    .output(helpRequestSchema)
    .mutation(({ ctx, input }) => raiseHand(ctx, ctx.actor, input)),

  lowerHand: protectedProcedure
    .input(sessionIdInput)
    .output(z.object({ lowered: z.boolean() }))
    .mutation(({ ctx, input }) => lowerHand(ctx, ctx.actor, input.sessionId)),

  answer: protectedProcedure
    .input(z.object({ helpRequestId: id }))
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => answerHelp(ctx, ctx.actor, input.helpRequestId)),

  /** The seat codes of a lab's devices, for the room map and the printed labels (codes are given out lazily). */
  seatCodes: staffProcedure
    .input(z.object({ labId: id }))
    .output(
      z.object({
        labName: z.string(),
        codes: z.array(
          z.object({
            deviceId: z.string(),
            deviceName: z.string(),
            seatCode: z.string(),
            seatLabel: z.string().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireLab(ctx.db, ctx.actor, input.labId);
      return labSeatCodes(ctx.db, input.labId);
    }),
});
