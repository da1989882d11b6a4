import { z } from "zod";
import {
  createWebhook,
  deleteWebhook,
  deliveryListInput,
  listDeliveries,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  webhookCreateInput,
  webhookUpdateInput,
} from "../services/webhook.ts";
import { testWebhook } from "../services/webhook-delivery.ts";
import { audited } from "../trpc/audit.ts";
import { adminProcedure, router } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });
const webhookOutput = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  enabled: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const deliveryStatus = z.enum(["pending", "delivered", "failed"]);

/** Webhooks carry alert data out of the building: admins only. The secret leaves the server once, at creation. */
export const webhookRouter = router({
  list: adminProcedure.output(z.array(webhookOutput)).query(({ ctx }) => listWebhooks(ctx.db)),

  create: adminProcedure
    .use(audited("webhook.create"))
    .input(webhookCreateInput)
    .output(webhookOutput.extend({ secret: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const hook = await createWebhook(ctx.db, input);
      ctx.log.info({ webhookId: hook.id, userId: ctx.user.id }, "webhook created");
      return hook;
    }),

  update: adminProcedure
    .use(audited("webhook.update"))
    .input(webhookUpdateInput)
    .output(webhookOutput)
    .mutation(({ ctx, input }) => updateWebhook(ctx.db, input)),

  rotateSecret: adminProcedure
    .use(audited("webhook.rotateSecret"))
    .input(idInput)
    .output(z.object({ id: z.string(), secret: z.string() }))
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.db, input.id)),

  delete: adminProcedure
    .use(audited("webhook.delete"))
    .input(idInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await deleteWebhook(ctx.db, input.id);
      ctx.log.info({ webhookId: input.id, userId: ctx.user.id }, "webhook deleted");
      return { id: input.id };
    }),

  test: adminProcedure
    .input(idInput)
    .output(
      z.object({
        id: z.string(),
        status: deliveryStatus,
        attempts: z.number().int(),
        responseStatus: z.number().int().nullable(),
        lastError: z.string().nullable(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const d = await testWebhook(ctx.db, input.id, Date.now());
      return { ...d, status: deliveryStatus.parse(d.status) };
    }),

  deliveries: adminProcedure
    .input(deliveryListInput)
    .output(
      z.array(
        z.object({
          id: z.string(),
          webhookId: z.string(),
          webhookName: z.string(),
          alertId: z.string().nullable(),
          event: z.string(),
          status: deliveryStatus,
          attempts: z.number().int(),
          responseStatus: z.number().int().nullable(),
          lastError: z.string().nullable(),
          nextAttemptAt: z.date(),
          deliveredAt: z.date().nullable(),
          createdAt: z.date(),
        }),
      ),
    )
    .query(async ({ ctx, input }) => {
      const rows = await listDeliveries(ctx.db, input);
      return rows.map(({ webhook, ...d }) => ({
        ...d,
        webhookName: webhook.name,
        status: deliveryStatus.parse(d.status),
      }));
    }),
});
