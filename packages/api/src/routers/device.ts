import { deviceSummarySchema, inventorySchema } from "@labfleet/protocol";
import { z } from "zod";
import { rotateIfConnected } from "../realtime/credential-rotation.ts";
import { deviceNameSchema, getDeviceDetail, renameDevice, revokeDevice } from "../services/device.ts";
import { requestCredentialRotation, rotationRequested } from "../services/device-credential.ts";
import { deviceWhere, requireDevice } from "../services/fleet-scope.ts";
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
  list: staffProcedure
    .output(z.array(deviceSummarySchema))
    .query(({ ctx }) => ctx.hub.fleetSnapshot(deviceWhere(ctx.actor))),

  get: staffProcedure
    .input(idInput)
    .output(deviceDetailOutput)
    .query(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
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
      await requireDevice(ctx.db, ctx.actor, input.id);
      const row = await renameDevice(ctx.db, input.id, input.name);
      await ctx.hub.publishDevice(row.id);
      return ctx.hub.summarize(row);
    }),

  revoke: staffProcedure
    .use(audited("device.revoke"))
    .input(idInput)
    .output(deviceSummarySchema)
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
      const row = await revokeDevice(ctx.db, input.id);
      ctx.hub.disconnectDevice(row.id, "This device was revoked in the dashboard.");
      ctx.log.info({ deviceId: row.id, userId: ctx.user.id }, "device revoked");
      await ctx.hub.publishDevice(row.id);
      return ctx.hub.summarize(row);
    }),

  /**
   * Gives the device a new secret. A connected device gets it at once over its socket and the old secret is
   * refused once the agent has stored the new one; an offline device rotates when it next connects.
   */
  rotateCredential: staffProcedure
    .use(audited("device.rotateCredential"))
    .input(idInput)
    .output(z.object({ id: z.string(), status: z.enum(["rotated", "pending"]) }))
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
      await requestCredentialRotation(ctx.db, input.id);
      let outcome = await rotateIfConnected(input.id);
      // A rotation already under way when this one was asked for answers for the earlier request only.
      if (outcome !== "pending" && (await rotationRequested(ctx.db, input.id)))
        outcome = await rotateIfConnected(input.id);
      ctx.log.info({ deviceId: input.id, userId: ctx.user.id, outcome }, "device credential rotation requested");
      return { id: input.id, status: outcome === "pending" ? ("pending" as const) : ("rotated" as const) };
    }),
});
