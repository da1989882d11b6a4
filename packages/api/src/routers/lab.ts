import { labSchema } from "@labfleet/protocol";
import { z } from "zod";
import { createLab, createLabInput, deleteLab, getLab, listLabs, updateLab, updateLabInput } from "../services/lab.ts";
import { placeDevice, placeDeviceInput, unplaceDevice } from "../services/seat.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });
const labListItem = labSchema.extend({ deviceCount: z.number().int(), placedCount: z.number().int() });
const placementOutput = z.object({
  deviceId: z.string(),
  seatLabel: z.string().nullable(),
  labId: z.string().nullable(),
});

export const labRouter = router({
  list: staffProcedure.output(z.array(labListItem)).query(({ ctx }) => listLabs(ctx.db)),

  get: staffProcedure
    .input(idInput)
    .output(labSchema)
    .query(({ ctx, input }) => getLab(ctx.db, input.id)),

  create: staffProcedure
    .use(audited("lab.create"))
    .input(createLabInput)
    .output(labSchema)
    .mutation(async ({ ctx, input }) => {
      const lab = await createLab(ctx.db, input);
      ctx.log.info({ labId: lab.id, userId: ctx.user.id }, "lab created");
      return lab;
    }),

  update: staffProcedure
    .use(audited("lab.update"))
    .input(updateLabInput)
    .output(labSchema)
    .mutation(async ({ ctx, input }) => {
      const lab = await updateLab(ctx.db, input);
      await ctx.hub.publishLabsChanged([lab.id]);
      return lab;
    }),

  delete: staffProcedure
    .use(audited("lab.delete"))
    .input(idInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const deviceIds = await deleteLab(ctx.db, input.id);
      ctx.log.info({ labId: input.id, userId: ctx.user.id }, "lab deleted");
      await ctx.hub.publishLabsChanged([input.id], deviceIds);
      return { id: input.id };
    }),

  /** Puts a device on a seat (moving it from wherever it sat). An occupied seat is refused with CONFLICT. */
  placeDevice: staffProcedure
    .use(audited("lab.placeDevice"))
    .input(placeDeviceInput)
    .output(placementOutput)
    .mutation(async ({ ctx, input }) => {
      const change = await placeDevice(ctx.db, input);
      await ctx.hub.publishLabsChanged([change.previousLabId, change.labId], [change.deviceId]);
      return change;
    }),

  unplaceDevice: staffProcedure
    .use(audited("lab.unplaceDevice"))
    .input(z.object({ deviceId: z.string().min(1).max(64) }))
    .output(placementOutput)
    .mutation(async ({ ctx, input }) => {
      const change = await unplaceDevice(ctx.db, input.deviceId);
      await ctx.hub.publishLabsChanged([change.labId]);
      return change;
    }),
});
