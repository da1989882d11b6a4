/**
 * Telemetry is the one high-volume table, so it is written and read with raw SQL on a pg.Pool: one statement per
 * batch (Prisma's createMany managed ~2.5k rows/s here). `(device_id, ts)` is the primary key, so a batch an agent
 * replays after a reconnect stores nothing twice.
 */
import type { TelemetrySample } from "@labfleet/protocol";
import type pg from "pg";

/** Anything with pg's query(): a Pool, a PoolClient inside a transaction, or a Client. */
export interface SqlRunner {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

// The rows travel as ONE JSON text that PostgreSQL parses in C, with the typed columns taken out in JS beside the
// whole sample (kept as json text: converting each sample to jsonb was about half of the insert's cost). As array
// parameters, pg escaped every character of every sample into an array literal on the event loop. There is no
// foreign key to device (its per-row check cost as much as all the rest: docs/BENCHMARKS.md, "Telemetry
// rows in PostgreSQL"): the statement reads the devices it
// names once, stores the rows of those that exist, and answers which ones did. A device deleted while its
// statement runs may leave rows behind; nothing reads them, and retention deletes them within a day.
// `ts` arrives as epoch ms; integer arithmetic on an interval keeps the millisecond exact (no float rounding).
const INSERT_SQL = `
WITH t AS MATERIALIZED (
  SELECT * FROM json_to_recordset($1::json)
    AS t(d text, ts bigint, cpu real, used bigint, total bigint, temp real, w int, power real, thr boolean, s json)
), known AS (
  SELECT "id" FROM "device" WHERE "id" IN (SELECT DISTINCT d FROM t)
), new_rows AS (
  INSERT INTO "telemetry" ("device_id", "ts", "cpu_load_pct", "mem_used_bytes", "mem_total_bytes", "cpu_temp_c",
    "weight", "power_w", "throttling", "sample")
  SELECT t.d, 'epoch'::timestamptz + t.ts * interval '1 millisecond', t.cpu, t.used, t.total, t.temp,
    coalesce(t.w, 1), t.power, t.thr, t.s
  FROM t JOIN known ON known."id" = t.d
  ON CONFLICT ("device_id", "ts") DO NOTHING
  RETURNING "device_id"
)
SELECT known."id" AS device_id, coalesce(c.n, 0)::int AS n
FROM known LEFT JOIN (SELECT "device_id", count(*) AS n FROM new_rows GROUP BY "device_id") c ON c."device_id" = known."id"`;

/** The samples of one device, one entry of `insertTelemetryMany`. */
export interface DeviceSamples {
  deviceId: string;
  samples: readonly TelemetrySample[];
}

/** Telemetry for a device id that is not (or no longer) in the database. */
export class UnknownDeviceError extends Error {
  constructor(readonly deviceId: string) {
    super(`unknown device ${deviceId}: its telemetry was not stored`);
    this.name = "UnknownDeviceError";
  }
}

/**
 * Stores the samples of many devices in ONE statement (group commit: one round trip and one WAL flush instead of
 * one per device). Returns the new rows per device id for every given device that exists (0 when nothing was new;
 * duplicates, within the batch or with rows already stored, are skipped); a device that does not exist is left out
 * of the map and nothing of it is stored. Entries of the same device add up.
 */
export async function insertTelemetryMany(
  db: SqlRunner,
  batches: readonly DeviceSamples[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const rows = [];
  for (const b of batches) {
    for (const s of b.samples) {
      rows.push({
        d: b.deviceId,
        ts: s.ts,
        cpu: s.cpuLoadPct,
        used: s.memUsedBytes,
        total: s.memTotalBytes,
        temp: s.cpuTempC,
        w: s.aggregatedCount,
        power: s.powerW,
        thr: s.throttling,
        s,
      });
    }
  }
  if (rows.length === 0) return counts;
  const { rows: known } = await db.query<{ device_id: string; n: number }>(INSERT_SQL, [JSON.stringify(rows)]);
  for (const r of known) counts.set(r.device_id, r.n);
  return counts;
}

/**
 * Stores the samples of one device in one statement and returns how many were new. Throws UnknownDeviceError if
 * the device does not exist.
 */
export async function insertTelemetry(
  db: SqlRunner,
  deviceId: string,
  samples: readonly TelemetrySample[],
): Promise<number> {
  if (samples.length === 0) return 0;
  const n = (await insertTelemetryMany(db, [{ deviceId, samples }])).get(deviceId);
  if (n === undefined) throw new UnknownDeviceError(deviceId);
  return n;
}

export interface RecentOptions {
  /** Most samples to return (the newest ones). */
  limit: number;
  /** Only samples taken at or after this time, epoch ms. */
  sinceMs?: number;
}

/** The newest `limit` samples of a device, returned oldest first (the order a chart draws them). */
export async function recentTelemetry(
  db: SqlRunner,
  deviceId: string,
  options: RecentOptions,
): Promise<TelemetrySample[]> {
  const limit = Math.floor(options.limit);
  if (!(limit > 0)) return [];
  const { rows } = await db.query<{ sample: TelemetrySample }>(
    `SELECT "sample" FROM (
       SELECT "sample", "ts" FROM "telemetry"
       WHERE "device_id" = $1 AND ($3::bigint IS NULL OR "ts" >= 'epoch'::timestamptz + $3::bigint * interval '1 millisecond')
       ORDER BY "ts" DESC LIMIT $2
     ) newest ORDER BY "ts" ASC`,
    [deviceId, limit, options.sinceMs ?? null],
  );
  return rows.map((r) => r.sample);
}

/** The latest sample of each device that has one. One index lookup per device (a lateral LIMIT 1). */
export async function latestTelemetry(
  db: SqlRunner,
  deviceIds: readonly string[],
): Promise<Map<string, TelemetrySample>> {
  const latest = new Map<string, TelemetrySample>();
  if (deviceIds.length === 0) return latest;
  const { rows } = await db.query<{ device_id: string; sample: TelemetrySample }>(
    `SELECT d.id AS device_id, t."sample"
     FROM unnest($1::text[]) AS d(id)
     CROSS JOIN LATERAL (
       SELECT "sample" FROM "telemetry" WHERE "device_id" = d.id ORDER BY "ts" DESC LIMIT 1
     ) t`,
    [[...new Set(deviceIds)]],
  );
  for (const row of rows) latest.set(row.device_id, row.sample);
  return latest;
}
