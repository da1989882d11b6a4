import { insertTelemetryMany } from "@labfleet/db";
import { createTestDatabase, type TestDatabase } from "@labfleet/db/test-db";
import { type TelemetrySample, telemetrySampleSchema } from "@labfleet/protocol";
import pg from "pg";
import { makeHardware } from "../hardware.ts";
import { DeviceModel } from "../personality.ts";
import { databaseNote, machineNote, parseFlags, processCpuS, runBench, UsageError, writeResults } from "./load-kit.ts";

const HARD_LIMIT_MS = 10 * 60_000;
const BATCH = 300;
const USAGE = "usage: npm run bench:telemetry-rows -- [--devices 3000] [--seconds 20] [--no-write]";

// The layout and the statement as they were (migrations up to 20261207050000, packages/db/src/telemetry.ts then).
const BEFORE_TABLE = `
CREATE TABLE "telemetry_before" (
  "device_id" TEXT NOT NULL REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "ts" TIMESTAMPTZ(3) NOT NULL,
  "cpu_load_pct" REAL NOT NULL,
  "mem_used_bytes" BIGINT NOT NULL,
  "mem_total_bytes" BIGINT NOT NULL,
  "cpu_temp_c" REAL,
  "sample" JSONB NOT NULL,
  PRIMARY KEY ("device_id", "ts")
);
CREATE INDEX "telemetry_before_ts_idx" ON "telemetry_before"("ts");`;
const BEFORE_INSERT = `
WITH new_rows AS (
  INSERT INTO "telemetry_before" ("device_id", "ts", "cpu_load_pct", "mem_used_bytes", "mem_total_bytes", "cpu_temp_c", "sample")
  SELECT t.d, 'epoch'::timestamptz + (t.s->>'ts')::bigint * interval '1 millisecond', (t.s->>'cpuLoadPct')::real,
    (t.s->>'memUsedBytes')::bigint, (t.s->>'memTotalBytes')::bigint, (t.s->>'cpuTempC')::real, t.s
  FROM json_to_recordset($1::json) AS t(d text, s jsonb)
  ON CONFLICT ("device_id", "ts") DO NOTHING
  RETURNING "device_id"
)
SELECT "device_id", count(*)::int AS n FROM new_rows GROUP BY "device_id"`;

let database: TestDatabase | null = null;
const clients: pg.Client[] = [];
async function cleanUp(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await database?.close().catch(() => undefined);
  database = null;
}

type Layout = "before" | "after";

async function main(): Promise<number> {
  const values = parseFlags(
    { devices: { type: "string" }, seconds: { type: "string" }, "no-write": { type: "boolean" } },
    USAGE,
  );
  const devices = Number(values.devices ?? 3000);
  const seconds = Number(values.seconds ?? 20);
  if (!Number.isInteger(devices) || devices < BATCH || devices > 20_000)
    throw new UsageError(`bad --devices\n${USAGE}`);
  if (!Number.isInteger(seconds) || seconds < 2 || seconds > 120) throw new UsageError(`bad --seconds\n${USAGE}`);

  database = await createTestDatabase();
  const ids = Array.from({ length: devices }, (_, i) => `bench-${String(i).padStart(6, "0")}`);
  await database.pool.query(
    `INSERT INTO "device" ("id", "name", "hostname", "updatedAt") SELECT id, id, id, now() FROM unnest($1::text[]) id`,
    [ids],
  );
  await database.pool.query(BEFORE_TABLE);
  const models = ids.map((_, i) => new DeviceModel(i + 1, makeHardware(1, i), "steady"));
  // The samples as the edge hands them on: parsed by the protocol's schema.
  const sampleAt = (i: number, ts: number): TelemetrySample =>
    telemetrySampleSchema.parse((models[i] as DeviceModel).sample(ts));

  // One connection per layout: its backend's CPU is the cost measured.
  const backend = async () => {
    const c = new pg.Client({ connectionString: database?.databaseUrl });
    await c.connect();
    clients.push(c);
    const { rows } = await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return { c, pid: rows[0]?.pid ?? 0 };
  };
  const conns: Record<Layout, Awaited<ReturnType<typeof backend>>> = {
    before: await backend(),
    after: await backend(),
  };
  const used: Record<Layout, { cpuS: number; rows: number }> = {
    before: { cpuS: 0, rows: 0 },
    after: { cpuS: 0, rows: 0 },
  };
  // Each turn stores `seconds` of the fleet's samples, with its own timestamps (no duplicates, no conflicts).
  let clock = Date.now() - 24 * 3_600_000;
  const turn = async (layout: Layout) => {
    const { c, pid } = conns[layout];
    const cpu0 = processCpuS(pid) ?? 0;
    for (let s = 0; s < seconds; s++) {
      clock += 1000;
      for (let b = 0; b < devices; b += BATCH) {
        const batch = ids.slice(b, b + BATCH).map((deviceId, k) => ({ deviceId, samples: [sampleAt(b + k, clock)] }));
        if (layout === "after") await insertTelemetryMany(c, batch);
        else await c.query(BEFORE_INSERT, [JSON.stringify(batch.map((x) => ({ d: x.deviceId, s: x.samples[0] })))]);
        used[layout].rows += batch.length;
      }
    }
    used[layout].cpuS += (processCpuS(pid) ?? cpu0) - cpu0;
  };
  for (const layout of ["before", "after", "after", "before"] as const) {
    process.stderr.write(`[telemetry-rows] ${layout}: ${seconds} s of ${devices} devices\n`);
    await turn(layout);
  }
  const us = (l: Layout) => (used[l].cpuS / used[l].rows) * 1e6;
  const rows = [
    "| layout | rows | PostgreSQL backend CPU s | µs per row |",
    "|---|---|---|---|",
    ...(["before", "after"] as const).map(
      (l) => `| ${l} | ${used[l].rows} | ${used[l].cpuS.toFixed(2)} | ${us(l).toFixed(0)} |`,
    ),
  ];
  const ratio = us("after") / us("before");
  const summary = `after / before: **${ratio.toFixed(2)}** of the CPU per row.`;
  process.stdout.write(`\n${rows.join("\n")}\n\n${summary}\n`);
  if (!values["no-write"]) {
    const argv = process.argv.slice(2).join(" ");
    await writeResults("telemetry-rows", [
      `Last run: \`npm run bench:telemetry-rows${argv ? ` -- ${argv}` : ""}\`, ${new Date().toISOString()}, on ${machineNote()}; database: ${databaseNote()}; ${devices} devices, batches of ${BATCH}.`,
      "",
      ...rows,
      "",
      summary,
    ]);
  }
  return 0;
}

runBench("bench:telemetry-rows", main, cleanUp, HARD_LIMIT_MS);
