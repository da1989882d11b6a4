import { createHmac } from "node:crypto";
import { WEBHOOK_HEADERS, type WebhookEvent } from "@labfleet/protocol";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

/** Five attempts: at once, then after 30 s, 1, 2 and 4 minutes (about 7.5 minutes in all), then give up. */
export const MAX_ATTEMPTS = 5;
const FIRST_RETRY_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
const BATCH = 20;

export function retryDelayMs(attemptsSoFar: number): number {
  return FIRST_RETRY_MS * 2 ** (attemptsSoFar - 1);
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export interface DeliveryOptions {
  timeoutMs?: number;
}

interface DueRow {
  id: string;
  event: string;
  payload: unknown;
  attempts: number;
  webhook: { url: string; secret: string };
}

const dueSelect = {
  id: true,
  event: true,
  payload: true,
  attempts: true,
  webhook: { select: { url: true, secret: true } },
} as const;

/**
 * Sends every delivery that is due at `now`. The job runs under an advisory lock, so no two processes send
 * the same delivery; a receiver sees each attempt once, with the same X-LabFleet-Delivery id on every retry.
 */
export async function deliverDue(db: Db, now: number, opts: DeliveryOptions = {}): Promise<number> {
  const due = await db.prisma.webhookDelivery.findMany({
    where: { status: "pending", nextAttemptAt: { lte: new Date(now) }, webhook: { enabled: true } },
    orderBy: { nextAttemptAt: "asc" },
    take: BATCH,
    select: dueSelect,
  });
  await Promise.all(due.map((d) => attempt(db, d, now, MAX_ATTEMPTS, opts)));
  return due.length;
}

/** Sends a `webhook.test` event once, now, and answers with the logged delivery. */
export async function testWebhook(db: Db, webhookId: string, now: number, opts: DeliveryOptions = {}) {
  const hook = await db.prisma.webhook.findUnique({ where: { id: webhookId }, select: { id: true } });
  if (!hook) throw new AppError("NOT_FOUND", "That webhook does not exist.");
  const event: WebhookEvent = "webhook.test";
  const row = await db.prisma.webhookDelivery.create({
    data: { webhookId, event, payload: { event, alert: null, device: null }, nextAttemptAt: new Date(now) },
    select: dueSelect,
  });
  await attempt(db, row, now, 1, opts);
  return db.prisma.webhookDelivery.findUniqueOrThrow({
    where: { id: row.id },
    select: { id: true, status: true, attempts: true, responseStatus: true, lastError: true },
  });
}

async function attempt(db: Db, d: DueRow, now: number, maxAttempts: number, opts: DeliveryOptions): Promise<void> {
  const body = JSON.stringify({ ...(d.payload as object), sentAt: now });
  const attempts = d.attempts + 1;
  let responseStatus: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(d.webhook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "LabFleet-Webhook/1",
        [WEBHOOK_HEADERS.event]: d.event,
        [WEBHOOK_HEADERS.delivery]: d.id,
        [WEBHOOK_HEADERS.signature]: signBody(d.webhook.secret, body),
      },
      body,
      // A redirect would send the signed body somewhere the admin did not configure.
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    responseStatus = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) error = `The receiver answered HTTP ${res.status}.`;
  } catch (e) {
    error = describeFailure(e, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }
  const done = error === null;
  const givingUp = !done && attempts >= maxAttempts;
  await db.prisma.webhookDelivery.update({
    where: { id: d.id },
    data: {
      attempts,
      responseStatus,
      lastError: error,
      status: done ? "delivered" : givingUp ? "failed" : "pending",
      deliveredAt: done ? new Date(now) : null,
      nextAttemptAt: new Date(done || givingUp ? now : now + retryDelayMs(attempts)),
    },
  });
  if (!done) db.log.warn({ deliveryId: d.id, attempts, responseStatus, givingUp }, "webhook delivery failed");
}

/** A short reason an admin can act on; never a stack. */
function describeFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) {
    return `No answer within ${Math.round(timeoutMs / 1000)} s.`;
  }
  const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
  if (cause?.code) return `Could not connect (${cause.code}).`;
  return "Could not reach the receiver.";
}

/** The delivery log keeps 30 days; deliveries still pending are never dropped. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3600 * 1000;

export async function pruneDeliveries(db: Db, now: number, keepMs = DELIVERY_RETENTION_MS): Promise<number> {
  const gone = await db.prisma.webhookDelivery.deleteMany({
    where: { status: { in: ["delivered", "failed"] }, createdAt: { lt: new Date(now - keepMs) } },
  });
  return gone.count;
}
