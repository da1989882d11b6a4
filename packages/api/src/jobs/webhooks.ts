import { deliverDue, pruneDeliveries } from "../services/webhook-delivery.ts";
import type { Job } from "./scheduler.ts";

const PRUNE_EVERY_MS = 3600_000;

/**
 * Sends the webhook deliveries that are due (new ones and retries) from the WebhookDelivery table, and once an
 * hour drops log entries past their retention.
 */
export function webhooksJob(): Job {
  let prunedAt = 0;
  return {
    name: "webhooks.deliver",
    everyMs: 2_000,
    async run({ db, now }) {
      await deliverDue(db, now);
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        await pruneDeliveries(db, now);
      }
    },
  };
}
