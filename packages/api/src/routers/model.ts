import { z } from "zod";
import {
  getModel,
  listModels,
  modelOutput,
  removeModel,
  updateModel,
  updateModelInput,
} from "../services/models/model.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });

export const modelRouter = router({
  /** Every model with its versions and files; uploads happen over plain HTTP (POST /api/models/upload). */
  list: staffProcedure.output(z.array(modelOutput)).query(({ ctx }) => listModels(ctx.db)),

  get: staffProcedure
    .input(idInput)
    .output(modelOutput)
    .query(({ ctx, input }) => getModel(ctx.db, input.id)),

  update: staffProcedure
    .use(audited("model.update"))
    .input(updateModelInput)
    .output(modelOutput)
    .mutation(({ ctx, input }) => updateModel(ctx.db, input)),

  /** Refused (CONFLICT) while a deployment of it is live; files no other model uses are deleted from disk. */
  remove: staffProcedure
    .use(audited("model.remove"))
    .input(idInput)
    .output(z.object({ id: z.string(), blobsDeleted: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const removed = await removeModel(ctx.db, ctx.blobs, input.id);
      ctx.log.info({ modelId: input.id, userId: ctx.user.id, blobsDeleted: removed.blobsDeleted }, "model removed");
      return removed;
    }),
});
