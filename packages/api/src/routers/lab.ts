import { labSchema } from "@labfleet/protocol";
import { z } from "zod";
import { labWhere, requireDevice, requireLab } from "../services/fleet-scope.ts";
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
  /** The labs the caller uses (every lab for an admin), with how many devices each holds. */
  list: staffProcedure.output(z.array(labListItem)).query(({ ctx }) => listLabs(ctx.db, labWhere(ctx.actor))),

  /**
   * Every lab's name, for booking a room for a lab session: an instructor may hold a session in any lab, and then
   * uses it (and sees its devices).
   */
  choices: staffProcedure
    .output(z.array(z.object({ id: z.string(), name: z.string(), deviceCount: z.number().int() })))
    .query(async ({ ctx }) =>
      (await listLabs(ctx.db)).map((l) => ({ id: l.id, name: l.name, deviceCount: l.deviceCount })),
    ),

  get: staffProcedure
    .input(idInput)
    .output(labSchema)
    .query(async ({ ctx, input }) => {
      await requireLab(ctx.db, ctx.actor, input.id);
      return getLab(ctx.db, input.id);
    }),

  create: staffProcedure
    .use(audited("lab.create"))
    .input(createLabInput)
    .output(labSchema)
    .mutation(async ({ ctx, input }) => {
      const lab = await createLab(ctx.db, input, ctx.user.id);
      ctx.log.info({ labId: lab.id, userId: ctx.user.id }, "lab created");
      ctx.hub.joinStaffLabs(ctx.user.id, [lab.id]);
      return lab;
    }),

  update: staffProcedure
    .use(audited("lab.update"))
    .input(updateLabInput)
    .output(labSchema)
    .mutation(async ({ ctx, input }) => {
      await requireLab(ctx.db, ctx.actor, input.id);
      const lab = await updateLab(ctx.db, input);
      await ctx.hub.publishLabsChanged([lab.id]);
      return lab;
    }),

  delete: staffProcedure
    .use(audited("lab.delete"))
    .input(idInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await requireLab(ctx.db, ctx.actor, input.id);
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
      // Into a lab the caller uses, from wherever they may see it: an admin places new devices, an instructor may
      // move devices between their labs.
      await requireDevice(ctx.db, ctx.actor, input.deviceId);
      await requireLab(ctx.db, ctx.actor, input.labId);
      const change = await placeDevice(ctx.db, input);
      await ctx.hub.publishLabsChanged([change.previousLabId, change.labId], [change.deviceId]);
      return change;
    }),

  unplaceDevice: staffProcedure
    .use(audited("lab.unplaceDevice"))
    .input(z.object({ deviceId: z.string().min(1).max(64) }))
    .output(placementOutput)
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.deviceId);
      const change = await unplaceDevice(ctx.db, input.deviceId);
      await ctx.hub.publishLabsChanged([change.labId]);
      return change;
    }),
});
