import { z } from "zod";
import { disableMetrics, metricsTokenStatus, rotateMetricsToken } from "../services/settings.ts";
import { audited } from "../trpc/audit.ts";
import { adminProcedure, router } from "../trpc/init.ts";

export const settingsRouter = router({
  metricsStatus: adminProcedure
    .output(z.object({ configured: z.boolean(), updatedAt: z.date().nullable() }))
    .query(({ ctx }) => metricsTokenStatus(ctx.db)),

  /** Creates or replaces the /metrics bearer token; the answer is the only time it is shown. */
  rotateMetricsToken: adminProcedure
    .use(audited("settings.rotateMetricsToken"))
    .output(z.object({ token: z.string() }))
    .mutation(async ({ ctx }) => {
      const created = await rotateMetricsToken(ctx.db);
      ctx.log.info({ userId: ctx.user.id }, "metrics token rotated");
      return created;
    }),

  disableMetrics: adminProcedure
    .use(audited("settings.disableMetrics"))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      await disableMetrics(ctx.db);
      ctx.log.info({ userId: ctx.user.id }, "metrics disabled");
      return { ok: true as const };
    }),
});
