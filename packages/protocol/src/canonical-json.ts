/**
 * JSON with object keys sorted at every level, so equal values give equal text whatever the key order.
 * Both sides fingerprint an inventory as the SHA-256 (hex) of `canonicalJson(inventorySchema.parse(inventory))`:
 * the server tells a connecting agent the fingerprint it holds, and the agent sends its inventory only when
 * its own differs.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
