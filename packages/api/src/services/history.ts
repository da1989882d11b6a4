import { z } from "zod";
import type { Db } from "./deps.ts";

export const historyRangeSchema = z.enum(["hour", "day", "week", "month"]);
export type HistoryRange = z.infer<typeof historyRangeSchema>;

/** A chart never needs more points than this, whatever the range. */
export const MAX_HISTORY_POINTS = 360;

/**
 * For each range: the roll-up level read (the finest one still kept for the whole range) and the width of the
 * points returned (range / 360, rounded up to a multiple of the level), so every range fills ~360 points.
 */
export const HISTORY_PLAN: Record<HistoryRange, { rangeS: number; sourceS: number; bucketS: number }> = {
  hour: { rangeS: 3600, sourceS: 10, bucketS: 10 },
  day: { rangeS: 86_400, sourceS: 60, bucketS: 240 },
  week: { rangeS: 7 * 86_400, sourceS: 600, bucketS: 1800 },
  month: { rangeS: 30 * 86_400, sourceS: 3600, bucketS: 7200 },
};

export const historyPointSchema = z.object({
  ts: z.date(),
  cpuLoadAvg: z.number(),
  cpuLoadMax: z.number(),
  memUsedAvg: z.number(),
  memTotal: z.number(),
  cpuTempAvg: z.number().nullable(),
  cpuTempMax: z.number().nullable(),
  powerAvgW: z.number().nullable(),
  throttledShare: z.number().nullable(),
});
export type HistoryPoint = z.infer<typeof historyPointSchema>;

export const deviceHistorySchema = z.object({
  bucketS: z.number().int(),
  points: z.array(historyPointSchema),
});
export type DeviceHistory = z.infer<typeof deviceHistorySchema>;

/** A roll-up row as the telemetry_rollup table returns it (the columns the history reads). */
export interface RollupColumns {
  ts: Date;
  cpu_load_avg: number;
  cpu_load_max: number;
  mem_used_avg: number;
  mem_total: number;
  cpu_temp_avg: number | null;
  cpu_temp_max: number | null;
  power_avg_w: number | null;
  throttled_share: number | null;
}

// Re-bins the source level into the point width, weighting by each bucket's sample count (as the roll-up does).
const HISTORY_SQL = `
SELECT date_bin(make_interval(secs => $3), "ts", 'epoch'::timestamptz) AS ts,
  sum("cpu_load_avg" * "n") / sum("n") AS cpu_load_avg, max("cpu_load_max") AS cpu_load_max,
  sum("mem_used_avg" * "n") / sum("n") AS mem_used_avg, max("mem_total") AS mem_total,
  sum("cpu_temp_avg" * "n") / nullif(sum("n") FILTER (WHERE "cpu_temp_avg" IS NOT NULL), 0) AS cpu_temp_avg,
  max("cpu_temp_max") AS cpu_temp_max,
  sum("power_avg_w" * "n") / nullif(sum("n") FILTER (WHERE "power_avg_w" IS NOT NULL), 0) AS power_avg_w,
  sum("throttled_share" * "n") / nullif(sum("n") FILTER (WHERE "throttled_share" IS NOT NULL), 0) AS throttled_share
FROM "telemetry_rollup"
WHERE "device_id" = $1 AND "bucket_s" = $2 AND "ts" >= $4
GROUP BY 1 ORDER BY 1`;

/** A device's history over a range, oldest first, at most 360 points; empty buckets are absent (gaps). */
export async function deviceHistory(db: Db, deviceId: string, range: HistoryRange, nowMs: number) {
  const plan = HISTORY_PLAN[range];
  const widthMs = plan.bucketS * 1000;
  // The newest point is the (partial) bucket holding now, then whole ones back to the start of the range.
  const count = Math.min(MAX_HISTORY_POINTS, Math.ceil(plan.rangeS / plan.bucketS));
  const fromMs = Math.floor(nowMs / widthMs) * widthMs - (count - 1) * widthMs;
  const { rows } = await db.pool.query<RollupColumns>(HISTORY_SQL, [
    deviceId,
    plan.sourceS,
    plan.bucketS,
    new Date(fromMs),
  ]);
  const num = (v: unknown) => (v == null ? null : Number(v));
  return {
    bucketS: plan.bucketS,
    points: rows.map((r) => ({
      ts: r.ts,
      cpuLoadAvg: Number(r.cpu_load_avg),
      cpuLoadMax: Number(r.cpu_load_max),
      memUsedAvg: Number(r.mem_used_avg),
      memTotal: Number(r.mem_total),
      cpuTempAvg: num(r.cpu_temp_avg),
      cpuTempMax: num(r.cpu_temp_max),
      powerAvgW: num(r.power_avg_w),
      throttledShare: num(r.throttled_share),
    })),
  } satisfies DeviceHistory;
}
