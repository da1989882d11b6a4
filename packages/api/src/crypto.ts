import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Enrollment tokens and device secrets are 256-bit random values, so a plain SHA-256 is the right hash for
 * them (as for API tokens): a slow password hash buys nothing against a value that cannot be guessed, and a
 * fast one lets a token be looked up by its hash.
 */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

export function secretMatches(secret: string, expectedHashHex: string): boolean {
  const actual = Buffer.from(sha256Hex(secret), "hex");
  const expected = Buffer.from(expectedHashHex, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
