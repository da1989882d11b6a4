import { z } from "zod";
import { addDeviceTag, listDeviceAttributes, removeDeviceTag, tagSchema } from "../services/device-tags.ts";
import { requireDevice, scopedLabIds } from "../services/fleet-scope.ts";
import { deviceHistory, deviceHistorySchema, historyRangeSchema } from "../services/history.ts";
import { staffProcedure } from "../trpc/init.ts";

const deviceId = z.string().min(1).max(64);
const tagInput = z.object({ id: deviceId, tag: tagSchema });

/** The device procedures of the fleet list and history; spread into the device router. */
export const deviceFleetProcedures = {
  /** CPU, memory, temperature and power over a range, from the roll-ups: at most ~360 points. */
  history: staffProcedure
    .input(z.object({ id: deviceId, range: historyRangeSchema }))
    .output(deviceHistorySchema)
    .query(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
      return deviceHistory(ctx.db, input.id, input.range, Date.now());
    }),

  /** Tags, seat and hardware of every device, for the fleet list's filters. */
  attributes: staffProcedure
    .output(
      z.array(
        z.object({
          id: z.string(),
          tags: z.array(z.string()),
          hasGpu: z.boolean(),
          hasNpu: z.boolean(),
          labName: z.string().nullable(),
          seatLabel: z.string().nullable(),
        }),
      ),
    )
    .query(async ({ ctx }) => listDeviceAttributes(ctx.db, await scopedLabIds(ctx.db, ctx.actor))),

  addTag: staffProcedure
    .input(tagInput)
    .output(z.object({ tags: z.array(z.string()) }))
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
      return { tags: await addDeviceTag(ctx.db, input.id, input.tag) };
    }),

  removeTag: staffProcedure
    .input(tagInput)
    .output(z.object({ tags: z.array(z.string()) }))
    .mutation(async ({ ctx, input }) => {
      await requireDevice(ctx.db, ctx.actor, input.id);
      return { tags: await removeDeviceTag(ctx.db, input.id, input.tag) };
    }),
};
