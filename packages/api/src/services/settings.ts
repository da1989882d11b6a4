import { newSecret, secretMatches, sha256Hex } from "../crypto.ts";
import type { Db } from "./deps.ts";

/** Only the SHA-256 of the /metrics bearer token is kept; the token itself is shown once. */
const METRICS_TOKEN_KEY = "metrics.tokenHash";

export async function getSetting(db: Db, key: string): Promise<{ value: string; updatedAt: Date } | null> {
  return db.prisma.setting.findUnique({ where: { key }, select: { value: true, updatedAt: true } });
}

export async function setSetting(db: Db, key: string, value: string): Promise<void> {
  await db.prisma.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
}

export async function deleteSetting(db: Db, key: string): Promise<void> {
  await db.prisma.setting.deleteMany({ where: { key } });
}

export async function metricsTokenStatus(db: Db): Promise<{ configured: boolean; updatedAt: Date | null }> {
  const row = await getSetting(db, METRICS_TOKEN_KEY);
  return { configured: row !== null, updatedAt: row?.updatedAt ?? null };
}

/** Creates or replaces the token: the old one stops working at once. */
export async function rotateMetricsToken(db: Db): Promise<{ token: string }> {
  const token = newSecret("lfm");
  await setSetting(db, METRICS_TOKEN_KEY, sha256Hex(token));
  return { token };
}

export async function disableMetrics(db: Db): Promise<void> {
  await deleteSetting(db, METRICS_TOKEN_KEY);
}

/** "off": no token configured; "denied": missing or wrong token; "ok". */
export async function checkMetricsToken(db: Db, bearer: string | null): Promise<"off" | "denied" | "ok"> {
  const row = await getSetting(db, METRICS_TOKEN_KEY);
  if (!row) return "off";
  if (!bearer) return "denied";
  return secretMatches(bearer, row.value) ? "ok" : "denied";
}
