/**
 * Telemetry roll-ups, computed in SQL. Each level is built from the one below it (10 s from raw samples,
 * 1 min from 10 s, 10 min from 1 min, 1 h from 10 min), so no run ever scans more than a few minutes of raw data.
 * Averages are weighted by how many raw samples each input stands for: an agent's offline roll-up
 * (`aggregatedCount`) counts as that many samples, a bucket as its `n`.
 */
import type { Db } from "./deps.ts";

export interface RollupLevel {
  bucketS: number;
  /** How long buckets of this width are kept. */
  keepMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Raw samples are kept for a day; each roll-up level as long as below. Stated in README's configuration section. */
export const RAW_KEEP_MS = DAY;
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  { bucketS: 10, keepMs: DAY },
  { bucketS: 60, keepMs: 7 * DAY },
  { bucketS: 600, keepMs: 31 * DAY },
  { bucketS: 3600, keepMs: 365 * DAY },
];

/**
 * Samples reach the server a little after they were taken (the link, the ack, a statement in flight); each run
 * starts this far before the previous run's end so they still land in their bucket. Anything older when it is
 * stored (a reconnect's replay, a device whose clock is behind) is noted per device by the hub
 * (`noteLateTelemetry`) and rebuilt for that device alone. Every run reads the raw samples of this window plus
 * the run interval for the whole fleet, so it is kept short: at 60 s a run at 3,000 devices read 210,000 rows.
 */
export const ROLLUP_LOOKBACK_MS = 30_000;
const WATERMARK_KEY = "rollup.watermark";
/** `rollup.late:<deviceId>` = the oldest late sample of that device still to roll up, epoch ms. */
const LATE_PREFIX = "rollup.late:";

const VALUE_COLUMNS = [
  "n",
  "cpu_load_avg",
  "cpu_load_max",
  "mem_used_avg",
  "mem_total",
  "cpu_temp_avg",
  "cpu_temp_max",
  "power_avg_w",
  "throttled_share",
].map((c) => `"${c}"`);

// Every run recomputes the buckets of the lookback, most of them already final: a bucket whose values did not
// change is left alone (no new row version, no WAL), so a run writes about one bucket per device and level.
const UPSERT = `
ON CONFLICT ("device_id", "bucket_s", "ts") DO UPDATE SET
  ${VALUE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}
WHERE (${VALUE_COLUMNS.map((c) => `"telemetry_rollup".${c}`).join(", ")})
  IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `EXCLUDED.${c}`).join(", ")})`;

const COLUMNS = `("device_id", "bucket_s", "ts", ${VALUE_COLUMNS.join(", ")})`;

/**
 * The weighted aggregate of inputs that have columns w (weight), load, load_max, mem, mem_total, temp, temp_max,
 * power, throttled (0..1 or null). A null is left out of its own average (unknown is not zero).
 */
const AGGREGATES = `
  sum(w)::int,
  sum(load * w) / sum(w), max(load_max),
  sum(mem * w) / sum(w), max(mem_total),
  sum(temp * w) / nullif(sum(w) FILTER (WHERE temp IS NOT NULL), 0), max(temp_max),
  sum(power * w) / nullif(sum(w) FILTER (WHERE power IS NOT NULL), 0),
  sum(throttled * w) / nullif(sum(w) FILTER (WHERE throttled IS NOT NULL), 0)`;

const FROM_RAW = `
INSERT INTO "telemetry_rollup" ${COLUMNS}
SELECT device_id, $2::int, date_bin(make_interval(secs => $2), ts, 'epoch'::timestamptz), ${AGGREGATES}
FROM (
  SELECT "device_id" AS device_id, "ts" AS ts,
    "weight"::float8 AS w,
    "cpu_load_pct"::float8 AS load, "cpu_load_pct"::float8 AS load_max,
    "mem_used_bytes"::float8 AS mem, "mem_total_bytes"::float8 AS mem_total,
    "cpu_temp_c"::float8 AS temp, "cpu_temp_c"::float8 AS temp_max,
    "power_w"::float8 AS power,
    CASE "throttling" WHEN true THEN 1.0 WHEN false THEN 0.0 END AS throttled
  FROM "telemetry" WHERE "ts" >= $1 AND ($3::text IS NULL OR "device_id" = $3)
) raw
GROUP BY 1, 3
${UPSERT}`;

const FROM_LEVEL = `
INSERT INTO "telemetry_rollup" ${COLUMNS}
SELECT device_id, $2::int, date_bin(make_interval(secs => $2), ts, 'epoch'::timestamptz), ${AGGREGATES}
FROM (
  SELECT "device_id" AS device_id, "ts" AS ts, "n"::float8 AS w,
    "cpu_load_avg"::float8 AS load, "cpu_load_max"::float8 AS load_max,
    "mem_used_avg" AS mem, "mem_total" AS mem_total,
    "cpu_temp_avg"::float8 AS temp, "cpu_temp_max"::float8 AS temp_max,
    "power_avg_w"::float8 AS power, "throttled_share"::float8 AS throttled
  FROM "telemetry_rollup" WHERE "bucket_s" = $3 AND "ts" >= $1 AND ($4::text IS NULL OR "device_id" = $4)
) src
GROUP BY 1, 3
${UPSERT}`;

export interface RollupResult {
  /** Where this run started (the first bucket it recomputed), epoch ms; null when there was nothing to do. */
  fromMs: number | null;
  /** Rows written (inserted, or updated because their values changed) per bucket width. */
  written: Record<number, number>;
}

/**
 * Remembers that a device sent samples older than the lookback (an offline buffer replayed after a reconnect), so
 * the next run rebuilds that device's buckets from there. Only that device's: the others need no rescan.
 */
export async function noteLateTelemetry(db: Db, deviceId: string, fromMs: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO "setting" ("key", "value", "updatedAt") VALUES ($1, $2, now())
     ON CONFLICT ("key") DO UPDATE SET "value" = least("setting"."value"::bigint, EXCLUDED."value"::bigint)::text,
       "updatedAt" = now()`,
    [LATE_PREFIX + deviceId, String(Math.floor(fromMs))],
  );
}

type Runner = { query: (text: string, values: unknown[]) => Promise<{ rowCount: number | null }> };

/** Rebuilds every level from `startMs` on, for one device or (null) all of them. */
async function rebuild(client: Runner, startMs: number, deviceId: string | null, written: Record<number, number>) {
  const [base, ...higher] = ROLLUP_LEVELS;
  if (!base) throw new Error("no roll-up levels");
  // Each level restarts at the start of its own bucket that holds startMs, so that bucket is rebuilt whole.
  const startOf = (bucketS: number) => new Date(Math.floor(startMs / (bucketS * 1000)) * bucketS * 1000);
  const add = (bucketS: number, n: number | null) => {
    written[bucketS] = (written[bucketS] ?? 0) + (n ?? 0);
  };
  add(base.bucketS, (await client.query(FROM_RAW, [startOf(base.bucketS), base.bucketS, deviceId])).rowCount);
  let source = base.bucketS;
  for (const level of higher) {
    const r = await client.query(FROM_LEVEL, [startOf(level.bucketS), level.bucketS, source, deviceId]);
    add(level.bucketS, r.rowCount);
    source = level.bucketS;
  }
}

/**
 * Recomputes every bucket from the last run's end (minus the lookback) onwards, level by level, in one
 * transaction. A bucket is always recomputed whole from its source, so re-running changes nothing.
 */
export async function runRollups(db: Db, nowMs: number): Promise<RollupResult> {
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    const mark = await client.query<{ value: string }>(`SELECT "value" FROM "setting" WHERE "key" = $1`, [
      WATERMARK_KEY,
    ]);
    let startMs: number | null = mark.rows[0] ? Number(mark.rows[0].value) - ROLLUP_LOOKBACK_MS : null;
    if (startMs === null || !Number.isFinite(startMs)) {
      const first = await client.query<{ ms: string | null }>(
        `SELECT (extract(epoch FROM min("ts")) * 1000)::bigint::text AS ms FROM "telemetry"`,
      );
      startMs = first.rows[0]?.ms == null ? null : Number(first.rows[0].ms);
    }
    const written: Record<number, number> = {};
    // Claimed by deleting: a note written after this point waits for the next run; a rollback puts these back.
    const late = await client.query<{ key: string; value: string }>(
      `DELETE FROM "setting" WHERE "key" LIKE $1 RETURNING "key", "value"`,
      [`${LATE_PREFIX}%`],
    );
    for (const row of late.rows) {
      const from = Math.max(Number(row.value), nowMs - RAW_KEEP_MS);
      if (startMs === null || from < startMs) await rebuild(client, from, row.key.slice(LATE_PREFIX.length), written);
    }
    if (startMs !== null) await rebuild(client, startMs, null, written);
    await client.query(
      `INSERT INTO "setting" ("key", "value", "updatedAt") VALUES ($1, $2, now())
       ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value", "updatedAt" = now()`,
      [WATERMARK_KEY, String(nowMs)],
    );
    await client.query("COMMIT");
    return { fromMs: startMs, written };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export interface RetentionResult {
  raw: number;
  /** Rows deleted per bucket width. */
  rollups: Record<number, number>;
}

/** Deletes raw samples older than a day and each level's buckets older than its window. */
export async function applyRetention(db: Db, nowMs: number): Promise<RetentionResult> {
  const raw = await db.pool.query(`DELETE FROM "telemetry" WHERE "ts" < $1`, [new Date(nowMs - RAW_KEEP_MS)]);
  const rollups: Record<number, number> = {};
  for (const level of ROLLUP_LEVELS) {
    const r = await db.pool.query(`DELETE FROM "telemetry_rollup" WHERE "bucket_s" = $1 AND "ts" < $2`, [
      level.bucketS,
      new Date(nowMs - level.keepMs),
    ]);
    rollups[level.bucketS] = r.rowCount ?? 0;
  }
  return { raw: raw.rowCount ?? 0, rollups };
}
