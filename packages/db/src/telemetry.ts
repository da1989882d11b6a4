/**
 * Telemetry is the one high-volume table, so it is written and read with raw SQL on a pg.Pool: one statement per
 * batch (Prisma's createMany managed ~2.5k rows/s here, raw unnest ~23k rows/s). `(device_id, ts)` is the
 * primary key, so a batch an agent replays after a reconnect stores nothing twice.
 */
import type { TelemetrySample } from "@labfleet/protocol";
import type pg from "pg";

/** Anything with pg's query(): a Pool, a PoolClient inside a transaction, or a Client. */
export interface SqlRunner {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

// `ts` arrives as epoch ms; integer arithmetic on an interval keeps the millisecond exact (no float rounding).
const INSERT_SQL = `
INSERT INTO "telemetry" ("device_id", "ts", "cpu_load_pct", "mem_used_bytes", "mem_total_bytes", "cpu_temp_c", "sample")
SELECT $1, 'epoch'::timestamptz + t.ts * interval '1 millisecond', t.cpu, t.used, t.total, t.temp, t.sample::jsonb
FROM unnest($2::bigint[], $3::real[], $4::bigint[], $5::bigint[], $6::real[], $7::text[])
  AS t(ts, cpu, used, total, temp, sample)
ON CONFLICT ("device_id", "ts") DO NOTHING`;

/**
 * Stores the samples of one device in ONE statement and returns how many were new (duplicates, within the batch
 * or with rows already stored, are skipped). Throws if the device does not exist (foreign key).
 */
export async function insertTelemetry(
  db: SqlRunner,
  deviceId: string,
  samples: readonly TelemetrySample[],
): Promise<number> {
  if (samples.length === 0) return 0;
  const result = await db.query(INSERT_SQL, [
    deviceId,
    samples.map((s) => s.ts),
    samples.map((s) => s.cpuLoadPct),
    samples.map((s) => s.memUsedBytes),
    samples.map((s) => s.memTotalBytes),
    samples.map((s) => s.cpuTempC),
    samples.map((s) => JSON.stringify(s)),
  ]);
  return result.rowCount ?? 0;
}

// The same insert for many devices. The rows travel as ONE JSON text ([{"d": deviceId, "s": sample}, ...]) that
// PostgreSQL parses in C: the typed columns are read from each sample there. As seven array parameters, pg escaped
// every character of every sample's JSON into an array literal on the event loop (an eighth of the server's busy
// time at 3,000 devices). The new rows are counted per device.
const INSERT_MANY_SQL = `
WITH new_rows AS (
  INSERT INTO "telemetry" ("device_id", "ts", "cpu_load_pct", "mem_used_bytes", "mem_total_bytes", "cpu_temp_c", "sample")
  SELECT t.d, 'epoch'::timestamptz + (t.s->>'ts')::bigint * interval '1 millisecond', (t.s->>'cpuLoadPct')::real,
    (t.s->>'memUsedBytes')::bigint, (t.s->>'memTotalBytes')::bigint, (t.s->>'cpuTempC')::real, t.s
  FROM json_to_recordset($1::json) AS t(d text, s jsonb)
  ON CONFLICT ("device_id", "ts") DO NOTHING
  RETURNING "device_id"
)
SELECT "device_id", count(*)::int AS n FROM new_rows GROUP BY "device_id"`;

/** The samples of one device, one entry of `insertTelemetryMany`. */
export interface DeviceSamples {
  deviceId: string;
  samples: readonly TelemetrySample[];
}

/**
 * Stores the samples of many devices in ONE statement (group commit: one round trip and one WAL flush instead of
 * one per device). Returns the new rows per device id, every given device included (0 when nothing was new);
 * entries of the same device add up. All or nothing: if any device does not exist the statement fails as a whole,
 * so a caller that must isolate failures retries per device with `insertTelemetry`.
 */
export async function insertTelemetryMany(
  db: SqlRunner,
  batches: readonly DeviceSamples[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const rows: { d: string; s: TelemetrySample }[] = [];
  for (const b of batches) {
    counts.set(b.deviceId, 0);
    for (const s of b.samples) rows.push({ d: b.deviceId, s });
  }
  if (rows.length === 0) return counts;
  const { rows: news } = await db.query<{ device_id: string; n: number }>(INSERT_MANY_SQL, [JSON.stringify(rows)]);
  for (const r of news) counts.set(r.device_id, r.n);
  return counts;
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
