import type { AlertSummary, WebhookEvent, WebhookPayload } from "@labfleet/protocol";
import { z } from "zod";
import { newSecret } from "../crypto.ts";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

export type Tx = Parameters<Parameters<Db["prisma"]["$transaction"]>[0]>[0];

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, error: "Give an http:// or https:// address." }));

export const webhookCreateInput = z.object({
  name: z.string().trim().min(1, "Give the webhook a name").max(80),
  url: httpUrl,
  enabled: z.boolean().default(true),
});
export const webhookUpdateInput = webhookCreateInput.extend({ id: z.string().min(1).max(64) });

const webhookSelect = { id: true, name: true, url: true, enabled: true, createdAt: true, updatedAt: true } as const;
export type WebhookView = { id: string; name: string; url: string; enabled: boolean; createdAt: Date; updatedAt: Date };

export async function listWebhooks(db: Db): Promise<WebhookView[]> {
  return db.prisma.webhook.findMany({ select: webhookSelect, orderBy: { createdAt: "asc" } });
}

/** The secret is returned here and never again; receivers use it to check `X-LabFleet-Signature`. */
export async function createWebhook(
  db: Db,
  input: z.infer<typeof webhookCreateInput>,
): Promise<WebhookView & { secret: string }> {
  const secret = newSecret("whsec");
  const row = await db.prisma.webhook.create({ data: { ...input, secret }, select: webhookSelect });
  return { ...row, secret };
}

export async function updateWebhook(db: Db, input: z.infer<typeof webhookUpdateInput>): Promise<WebhookView> {
  const { id, ...data } = input;
  const found = await db.prisma.webhook.updateMany({ where: { id }, data });
  if (found.count === 0) throw new AppError("NOT_FOUND", "That webhook does not exist.");
  return db.prisma.webhook.findUniqueOrThrow({ where: { id }, select: webhookSelect });
}

export async function rotateWebhookSecret(db: Db, id: string): Promise<{ id: string; secret: string }> {
  const secret = newSecret("whsec");
  const found = await db.prisma.webhook.updateMany({ where: { id }, data: { secret } });
  if (found.count === 0) throw new AppError("NOT_FOUND", "That webhook does not exist.");
  return { id, secret };
}

export async function deleteWebhook(db: Db, id: string): Promise<void> {
  const found = await db.prisma.webhook.deleteMany({ where: { id } });
  if (found.count === 0) throw new AppError("NOT_FOUND", "That webhook does not exist.");
}

type PayloadDevice = WebhookPayload["device"];

/**
 * Queues one delivery per enabled webhook, inside the caller's transaction: the alert's change and its
 * notifications commit together, and the delivery job sends them even after a restart.
 */
export async function enqueueAlertEvent(
  tx: Tx,
  event: WebhookEvent,
  alert: AlertSummary,
  device: PayloadDevice,
): Promise<number> {
  const hooks = await tx.webhook.findMany({ where: { enabled: true }, select: { id: true } });
  if (hooks.length === 0) return 0;
  // sentAt is filled in at each attempt; the stored payload is the rest of the body.
  const payload = { event, alert, device };
  const created = await tx.webhookDelivery.createMany({
    data: hooks.map((h) => ({ webhookId: h.id, alertId: alert.id, event, payload })),
  });
  return created.count;
}

export const deliveryListInput = z.object({
  webhookId: z.string().min(1).max(64).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export async function listDeliveries(db: Db, input: z.input<typeof deliveryListInput>) {
  const { webhookId, limit } = deliveryListInput.parse(input);
  return db.prisma.webhookDelivery.findMany({
    where: webhookId ? { webhookId } : {},
    orderBy: { createdAt: "desc" },
    take: limit,
    select: {
      id: true,
      webhookId: true,
      alertId: true,
      event: true,
      status: true,
      attempts: true,
      responseStatus: true,
      lastError: true,
      nextAttemptAt: true,
      deliveredAt: true,
      createdAt: true,
      webhook: { select: { name: true } },
    },
  });
}
