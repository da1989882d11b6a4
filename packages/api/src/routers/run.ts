import { runSpecSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { runWhere } from "../services/classroom/access.ts";
import { requireDevice, requireLab, usesLab } from "../services/fleet-scope.ts";
import { compareRuns, compareRunsInput, getGroup, getRun, listRuns, listRunsInput } from "../services/runs/queries.ts";
import { cancelRun, startRoomRun, startRun } from "../services/runs/start.ts";
import { groupStartSchema, runDetailSchema, runGroupViewSchema, runSummarySchema } from "../services/runs/views.ts";
import { audited } from "../trpc/audit.ts";
import { protectedProcedure, router, staffProcedure } from "../trpc/init.ts";

const id = z.string().min(1).max(64);
const idInput = z.object({ id });

export const runRouter = router({
  /** Starts a benchmark or evaluation on one online device; answers once the agent accepted or refused it. */
  start: staffProcedure
    .input(z.object({ versionId: id, deviceId: id, spec: runSpecSchema }))
    .output(runDetailSchema)
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.deviceId);
      const runId = await startRun({ db: ctx.db, hub: ctx.hub }, { ...input, userId: ctx.user.id });
      return getRun(ctx.db, runId);
    }),

  /** The same spec on every online device of a lab at once. */
  startRoom: staffProcedure
    .use(audited("run.startRoom"))
    .input(z.object({ versionId: id, labId: id, spec: runSpecSchema }))
    .output(groupStartSchema)
    .mutation(async ({ ctx, input }) => {
      await requireLab(ctx.db, ctx.actor, input.labId);
      return startRoomRun({ db: ctx.db, hub: ctx.hub }, { ...input, userId: ctx.user.id });
    }),

  cancel: staffProcedure
    .use(audited("run.cancel"))
    .input(idInput)
    .output(runDetailSchema)
    .mutation(async ({ ctx, input }) => {
      await getRun(ctx.db, input.id, runWhere(ctx.actor));
      await cancelRun({ db: ctx.db, hub: ctx.hub }, input.id);
      return getRun(ctx.db, input.id);
    }),

  /** What the caller may see (access.ts runWhere): a student only their own runs. */
  list: protectedProcedure
    .input(listRunsInput.default({ limit: 100 }))
    .output(z.array(runSummarySchema))
    .query(({ ctx, input }) => listRuns(ctx.db, input, runWhere(ctx.actor))),

  get: protectedProcedure
    .input(idInput)
    .output(runDetailSchema)
    .query(({ ctx, input }) => getRun(ctx.db, input.id, runWhere(ctx.actor))),

  /** A room-wide run, ranked, with throttled and hot seats flagged. */
  group: staffProcedure
    .input(idInput)
    .output(runGroupViewSchema)
    .query(async ({ ctx, input }) => {
      const group = await getGroup(ctx.db, input.id);
      // A room run belongs to its lab: an instructor sees those of the labs they use.
      if (ctx.actor.role !== "admin" && !(group.labId && (await usesLab(ctx.db, ctx.actor, group.labId)))) {
        throw new AppError("NOT_FOUND", "That run group does not exist.");
      }
      return group;
    }),

  compare: protectedProcedure
    .input(compareRunsInput)
    .output(z.array(runDetailSchema))
    .query(({ ctx, input }) => compareRuns(ctx.db, input, runWhere(ctx.actor))),
});
