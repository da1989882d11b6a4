import { alertSummarySchema } from "@labfleet/protocol";
import { z } from "zod";
import { acknowledgeAlert, alertListInput, countAlerts, getAlert, listAlerts } from "../services/alert.ts";
import { deviceWhere } from "../services/fleet-scope.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });

export const alertRouter = router({
  list: staffProcedure
    .input(alertListInput)
    .output(z.array(alertSummarySchema))
    .query(({ ctx, input }) => listAlerts(ctx.db, input, deviceWhere(ctx.actor))),

  get: staffProcedure
    .input(idInput)
    .output(alertSummarySchema)
    .query(({ ctx, input }) => getAlert(ctx.db, input.id, deviceWhere(ctx.actor))),

  /** For the badge: how many alerts wait for someone. */
  counts: staffProcedure
    .output(z.object({ firing: z.number().int(), acknowledged: z.number().int() }))
    .query(({ ctx }) => countAlerts(ctx.db, deviceWhere(ctx.actor))),

  acknowledge: staffProcedure
    .use(audited("alert.acknowledge"))
    .input(idInput)
    .output(alertSummarySchema)
    .mutation(async ({ ctx, input }) => {
      await getAlert(ctx.db, input.id, deviceWhere(ctx.actor));
      const alert = await acknowledgeAlert({ db: ctx.db, hub: ctx.hub }, input.id, ctx.user.id);
      ctx.log.info({ alertId: input.id, userId: ctx.user.id }, "alert acknowledged");
      return alert;
    }),
});
