import { createHash } from "node:crypto";
import { canonicalJson, inventorySchema } from "@labfleet/protocol";

export { canonicalJson };

/**
 * A stable fingerprint of an inventory: sha256 (hex) of the canonical JSON of the inventory as the protocol
 * parses it, the same recipe the server uses, so the two can be compared. Array order counts: the collectors
 * list devices in a stable order.
 */
export function inventoryHash(inventory: unknown): string {
  const parsed = inventorySchema.safeParse(inventory);
  return createHash("sha256")
    .update(canonicalJson(parsed.success ? parsed.data : inventory))
    .digest("hex");
}
