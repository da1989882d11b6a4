import { createHash, createHmac } from "node:crypto";
import { type RunResult, runResultSigningText, type SignedRunResult } from "@labfleet/protocol";

/**
 * The key a device signs results with: the SHA-256 (hex) of its secret. The server stores exactly that hash,
 * so it can verify a result without ever holding the secret.
 */
export function runSigningKey(deviceSecret: string): string {
  return createHash("sha256").update(deviceSecret, "utf8").digest("hex");
}

/** HMAC-SHA256 (hex) over the canonical JSON of the result, keyed with runSigningKey(secret) as UTF-8 text. */
export function signRunResult(result: RunResult, deviceSecret: string): SignedRunResult {
  const signature = createHmac("sha256", runSigningKey(deviceSecret))
    .update(runResultSigningText(result), "utf8")
    .digest("hex");
  return { ...result, signature };
}
