import { insertTelemetry, latestTelemetry, recentTelemetry } from "@labfleet/db";
import type { TelemetrySample } from "@labfleet/protocol";
import type { Db } from "./deps.ts";

/** Stores a batch; samples already stored (a replay) are skipped. Returns how many were new. */
export async function storeTelemetry(db: Db, deviceId: string, samples: TelemetrySample[]): Promise<number> {
  return insertTelemetry(db.pool, deviceId, samples);
}

export async function recentSamples(db: Db, deviceId: string, limit: number): Promise<TelemetrySample[]> {
  return recentTelemetry(db.pool, deviceId, { limit });
}

export async function latestSamples(db: Db, deviceIds: string[]): Promise<Map<string, TelemetrySample>> {
  return latestTelemetry(db.pool, deviceIds);
}
