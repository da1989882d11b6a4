import { runSpecSchema } from "@labfleet/protocol";
import { z } from "zod";
import { compareRuns, compareRunsInput, getGroup, getRun, listRuns, listRunsInput } from "../services/runs/queries.ts";
import { cancelRun, startRoomRun, startRun } from "../services/runs/start.ts";
import { groupStartSchema, runDetailSchema, runGroupViewSchema, runSummarySchema } from "../services/runs/views.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const id = z.string().min(1).max(64);
const idInput = z.object({ id });

export const runRouter = router({
  /** Starts a benchmark or evaluation on one online device; answers once the agent accepted or refused it. */
  start: staffProcedure
    .input(z.object({ versionId: id, deviceId: id, spec: runSpecSchema }))
    .output(runDetailSchema)
    .mutation(async ({ ctx, input }) => {
      const runId = await startRun({ db: ctx.db, hub: ctx.hub }, { ...input, userId: ctx.user.id });
      return getRun(ctx.db, runId);
    }),

  /** The same spec on every online device of a lab at once. */
  startRoom: staffProcedure
    .input(z.object({ versionId: id, labId: id, spec: runSpecSchema }))
    .output(groupStartSchema)
    .mutation(({ ctx, input }) => startRoomRun({ db: ctx.db, hub: ctx.hub }, { ...input, userId: ctx.user.id })),

  cancel: staffProcedure
    .input(idInput)
    .output(runDetailSchema)
    .mutation(async ({ ctx, input }) => {
      await cancelRun({ db: ctx.db, hub: ctx.hub }, input.id);
      return getRun(ctx.db, input.id);
    }),

  list: staffProcedure
    .input(listRunsInput.default({ limit: 100 }))
    .output(z.array(runSummarySchema))
    .query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: staffProcedure
    .input(idInput)
    .output(runDetailSchema)
    .query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** A room-wide run, ranked, with throttled and hot seats flagged. */
  group: staffProcedure
    .input(idInput)
    .output(runGroupViewSchema)
    .query(({ ctx, input }) => getGroup(ctx.db, input.id)),

  compare: staffProcedure
    .input(compareRunsInput)
    .output(z.array(runDetailSchema))
    .query(({ ctx, input }) => compareRuns(ctx.db, input)),
});
