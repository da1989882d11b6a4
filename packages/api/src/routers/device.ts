import { deviceSummarySchema, inventorySchema } from "@labfleet/protocol";
import { z } from "zod";
import { deviceNameSchema, getDeviceDetail, renameDevice, revokeDevice } from "../services/device.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";
import { deviceFleetProcedures } from "./device-fleet.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });

const deviceDetailOutput = z.object({
  device: deviceSummarySchema,
  inventory: inventorySchema.nullable(),
  agentVersion: z.string().nullable(),
  enrolledAt: z.date(),
  revokedAt: z.date().nullable(),
  labName: z.string().nullable(),
});

export const deviceRouter = router({
  ...deviceFleetProcedures,
  list: staffProcedure.output(z.array(deviceSummarySchema)).query(({ ctx }) => ctx.hub.fleetSnapshot()),

  get: staffProcedure
    .input(idInput)
    .output(deviceDetailOutput)
    .query(async ({ ctx, input }) => {
      const d = await getDeviceDetail(ctx.db, input.id);
      return {
        device: ctx.hub.summarize(d.row),
        inventory: d.inventory,
        agentVersion: d.agentVersion,
        enrolledAt: d.enrolledAt,
        revokedAt: d.row.revokedAt,
        labName: d.labName,
      };
    }),

  rename: staffProcedure
    .use(audited("device.rename"))
    .input(idInput.extend({ name: deviceNameSchema }))
    .output(deviceSummarySchema)
    .mutation(async ({ ctx, input }) => {
      const row = await renameDevice(ctx.db, input.id, input.name);
      await ctx.hub.publishDevice(row.id);
      return ctx.hub.summarize(row);
    }),

  revoke: staffProcedure
    .use(audited("device.revoke"))
    .input(idInput)
    .output(deviceSummarySchema)
    .mutation(async ({ ctx, input }) => {
      const row = await revokeDevice(ctx.db, input.id);
      ctx.hub.disconnectDevice(row.id, "This device was revoked in the dashboard.");
      ctx.log.info({ deviceId: row.id, userId: ctx.user.id }, "device revoked");
      await ctx.hub.publishDevice(row.id);
      return ctx.hub.summarize(row);
    }),
});
