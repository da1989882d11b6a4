import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { insertTelemetry } from "@labfleet/db";
import { createTestDatabase } from "@labfleet/db/test-db";
import { createLogger } from "../logger.ts";
import { sample } from "../testing/sockets.ts";
import type { Db } from "./deps.ts";
import type { RollupColumns } from "./history.ts";
import { deviceHistory, HISTORY_PLAN, MAX_HISTORY_POINTS } from "./history.ts";
import { applyRetention, noteLateTelemetry, ROLLUP_LEVELS, runRollups } from "./rollup.ts";

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const GiB = 1024 ** 3;

interface RollupRow extends RollupColumns {
  bucket_s: number;
  n: number;
}

function near(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(actual != null && Math.abs(actual - expected) < 1e-3, `${what}: ${actual} != ${expected}`);
}

describe("telemetry roll-ups, retention and history", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let deviceId: string;

  async function rollups(bucketS: number): Promise<RollupRow[]> {
    const { rows } = await db.pool.query<RollupRow>(
      `SELECT * FROM "telemetry_rollup" WHERE "device_id" = $1 AND "bucket_s" = $2 ORDER BY "ts"`,
      [deviceId, bucketS],
    );
    return rows;
  }

  /** One roll-up row per bucket from `fromMs` for `count` buckets, with a marker CPU value. */
  async function seedLevel(bucketS: number, fromMs: number, count: number, cpu: number): Promise<void> {
    await db.pool.query(
      `INSERT INTO "telemetry_rollup" SELECT $1, $2, g, 1, $3, $3, 1e9, 8e9, NULL, NULL, NULL, NULL
       FROM generate_series($4::timestamptz, $5::timestamptz, make_interval(secs => $2)) g`,
      [deviceId, bucketS, cpu, new Date(fromMs), new Date(fromMs + (count - 1) * bucketS * 1000)],
    );
  }

  before(async () => {
    database = await createTestDatabase();
    db = { prisma: database.prisma, pool: database.pool, log: createLogger({ level: "silent" }) };
  });
  after(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await db.pool.query(`DELETE FROM "setting"; DELETE FROM "telemetry"; DELETE FROM "telemetry_rollup"`);
    const d = await db.prisma.device.create({ data: { name: "pc-1", hostname: "pc-1" }, select: { id: true } });
    deviceId = d.id;
  });

  test("a 10 s bucket holds the exact weighted averages and maxima; an offline roll-up counts as its samples", async () => {
    await insertTelemetry(db.pool, deviceId, [
      sample(T0 + 1000, { cpuLoadPct: 10, cpuTempC: 50, powerW: 10, throttling: true, memUsedBytes: 2 * GiB }),
      sample(T0 + 2000, { cpuLoadPct: 30, cpuTempC: null, throttling: false, memUsedBytes: 4 * GiB }),
      // An agent's offline 10 s roll-up of 4 samples: weighs 4.
      sample(T0 + 3000, { cpuLoadPct: 20, cpuTempC: 60, aggregatedCount: 4, memUsedBytes: 3 * GiB }),
      sample(T0 + 15_000, { cpuLoadPct: 50, cpuTempC: 70 }),
    ]);
    const r = await runRollups(db, T0 + 20_000);
    assert.equal(r.fromMs, T0 + 1000);

    const ten = await rollups(10);
    assert.equal(ten.length, 2);
    const [a, b] = ten;
    assert.equal(a?.ts.getTime(), T0);
    assert.equal(a?.n, 6);
    near(a?.cpu_load_avg, (10 + 30 + 20 * 4) / 6, "cpu avg");
    near(a?.cpu_load_max, 30, "cpu max");
    near(a?.mem_used_avg, ((2 + 4 + 3 * 4) * GiB) / 6, "mem avg");
    near(a?.mem_total, 8 * GiB, "mem total");
    // The sample without a sensor is left out of the temperature, not counted as 0 °C.
    near(a?.cpu_temp_avg, (50 + 60 * 4) / 5, "temp avg");
    near(a?.cpu_temp_max, 60, "temp max");
    near(a?.power_avg_w, 10, "power avg");
    near(a?.throttled_share, 0.5, "throttled share of the samples that say");
    assert.equal(b?.ts.getTime(), T0 + 10_000);
    assert.equal(b?.n, 1);

    const minute = await rollups(60);
    assert.equal(minute.length, 1);
    assert.equal(minute[0]?.n, 7);
    near(minute[0]?.cpu_load_avg, (10 + 30 + 80 + 50) / 7, "minute cpu avg");
    near(minute[0]?.cpu_load_max, 50, "minute cpu max");
    near(minute[0]?.cpu_temp_max, 70, "minute temp max");
    for (const level of [600, 3600]) {
      const rows = await rollups(level);
      assert.equal(rows.length, 1, `level ${level}`);
      assert.equal(rows[0]?.n, 7);
      near(rows[0]?.cpu_load_avg, 170 / 7, `level ${level} cpu avg`);
    }

    // Re-running (same time, or later with nothing new) changes nothing.
    const before = await db.pool.query(`SELECT * FROM "telemetry_rollup" ORDER BY 1, 2, 3`);
    await runRollups(db, T0 + 20_000);
    await runRollups(db, T0 + 40_000);
    const again = await db.pool.query(`SELECT * FROM "telemetry_rollup" ORDER BY 1, 2, 3`);
    assert.deepEqual(again.rows, before.rows);

    // Incremental: a new sample lands in its bucket and in every level above it.
    await insertTelemetry(db.pool, deviceId, [sample(T0 + 25_000, { cpuLoadPct: 90, cpuTempC: 80 })]);
    await runRollups(db, T0 + 50_000);
    const ten2 = await rollups(10);
    assert.deepEqual(
      ten2.map((x) => [x.ts.getTime() - T0, x.n]),
      [
        [0, 6],
        [10_000, 1],
        [20_000, 1],
      ],
    );
    for (const level of [60, 600, 3600]) {
      const rows = await rollups(level);
      assert.equal(rows[0]?.n, 8, `level ${level} picked up the new sample`);
      near(rows[0]?.cpu_load_max, 90, `level ${level} max`);
    }
  });

  test("an offline buffer replayed long after is rolled up once the late samples are noted, for that device only", async () => {
    const other = await db.prisma.device.create({ data: { name: "pc-2", hostname: "pc-2" }, select: { id: true } });
    await insertTelemetry(db.pool, deviceId, [sample(T0 + 1000, { cpuLoadPct: 10 })]);
    await insertTelemetry(db.pool, other.id, [sample(T0 + 1000, { cpuLoadPct: 10 })]);
    await runRollups(db, T0 + 3_600_000);
    // An hour later the agent reconnects and replays a 10 s roll-up of 5 samples taken at T0 + 2 s.
    await insertTelemetry(db.pool, deviceId, [sample(T0 + 2000, { cpuLoadPct: 40, aggregatedCount: 5 })]);
    await insertTelemetry(db.pool, other.id, [sample(T0 + 2000, { cpuLoadPct: 40 })]);
    await runRollups(db, T0 + 3_610_000);
    assert.equal((await rollups(10))[0]?.n, 1, "beyond the lookback, a run alone does not see it");

    await noteLateTelemetry(db, deviceId, T0 + 2000);
    await runRollups(db, T0 + 3_620_000);
    for (const level of [10, 60, 600, 3600]) {
      const [bucket] = await rollups(level);
      assert.equal(bucket?.n, 6, `level ${level}`);
      near(bucket?.cpu_load_avg, (10 + 40 * 5) / 6, `level ${level} weighs the replay by its count`);
    }
    const others = await db.pool.query<{ n: number }>(
      `SELECT "n" FROM "telemetry_rollup" WHERE "device_id" = $1 AND "bucket_s" = 10`,
      [other.id],
    );
    assert.deepEqual(
      others.rows.map((r) => r.n),
      [1],
      "the other device was not noted, so not rebuilt",
    );
    const left = await db.pool.query(`SELECT 1 FROM "setting" WHERE "key" LIKE 'rollup.late:%'`);
    assert.equal(left.rowCount, 0, "the note is consumed");
  });

  test("retention deletes exactly what is older than each level's window", async () => {
    const now = T0 + 400 * 86_400_000;
    const minute = 60_000;
    const DAY = 86_400_000;
    await insertTelemetry(db.pool, deviceId, [sample(now - DAY - minute), sample(now - DAY + minute)]);
    for (const level of ROLLUP_LEVELS) {
      const keepOld = now - level.keepMs - level.bucketS * 1000;
      const keepNew = now - level.keepMs + level.bucketS * 1000;
      for (const ts of [keepOld, keepNew]) {
        await db.pool.query(
          `INSERT INTO "telemetry_rollup" VALUES ($1, $2, $3, 1, 1, 1, 1, 1, NULL, NULL, NULL, NULL)`,
          [deviceId, level.bucketS, new Date(ts)],
        );
      }
    }
    const r = await applyRetention(db, now);
    assert.equal(r.raw, 1);
    assert.deepEqual(r.rollups, { 10: 1, 60: 1, 600: 1, 3600: 1 });
    const raw = await db.pool.query<{ ts: Date }>(`SELECT "ts" FROM "telemetry" WHERE "device_id" = $1`, [deviceId]);
    assert.deepEqual(
      raw.rows.map((x) => x.ts.getTime()),
      [now - DAY + minute],
    );
    for (const level of ROLLUP_LEVELS) {
      const rows = await rollups(level.bucketS);
      assert.deepEqual(
        rows.map((x) => x.ts.getTime()),
        [now - level.keepMs + level.bucketS * 1000],
        `level ${level.bucketS} keeps only the row inside its window`,
      );
    }
    assert.deepEqual((await applyRetention(db, now)).rollups, { 10: 0, 60: 0, 600: 0, 3600: 0 });
  });

  test("history reads the right level per range and returns at most 360 points", async () => {
    const now = T0 + 40 * 86_400_000;
    const markers = { 10: 10, 60: 60, 600: 6, 3600: 36 } as const;
    // Twice each range's span of every level, each level with its own marker CPU value.
    await seedLevel(10, now - 2 * 3_600_000, 720, markers[10]);
    await seedLevel(60, now - 2 * 86_400_000, 2880, markers[60]);
    await seedLevel(600, now - 14 * 86_400_000, 2016, markers[600]);
    await seedLevel(3600, now - 60 * 86_400_000, 1440, markers[3600]);

    for (const range of ["hour", "day", "week", "month"] as const) {
      const plan = HISTORY_PLAN[range];
      const h = await deviceHistory(db, deviceId, range, now);
      assert.equal(h.bucketS, plan.bucketS, range);
      assert.ok(h.points.length <= MAX_HISTORY_POINTS, `${range}: ${h.points.length} points`);
      const span = Math.min(MAX_HISTORY_POINTS, plan.rangeS / plan.bucketS);
      assert.ok(h.points.length >= span - 1, `${range} fills the range: ${h.points.length}`);
      const marker = markers[plan.sourceS as keyof typeof markers];
      assert.ok(
        h.points.every((p) => p.cpuLoadAvg === marker),
        `${range} reads the ${plan.sourceS} s level`,
      );
      const first = h.points[0]?.ts.getTime() ?? 0;
      assert.ok(now - first <= plan.rangeS * 1000, `${range} starts within the range`);
      for (let i = 1; i < h.points.length; i++) {
        assert.ok((h.points[i]?.ts.getTime() ?? 0) > (h.points[i - 1]?.ts.getTime() ?? 0), "oldest first");
      }
      assert.equal(h.points[0]?.cpuTempAvg, null, "no sensor stays null");
    }

    // Re-binning weighs each bucket by its sample count: (10 x 1 + 50 x 3) / 4 = 40 within one 240 s point.
    await db.pool.query(`DELETE FROM "telemetry_rollup"`);
    const point = Math.floor(now / 240_000) * 240_000 - 240_000;
    await db.pool.query(
      `INSERT INTO "telemetry_rollup" VALUES ($1, 60, $2, 1, 10, 10, 1, 8, 50, 50, NULL, NULL),
         ($1, 60, $3, 3, 50, 70, 1, 8, 60, 65, NULL, 1)`,
      [deviceId, new Date(point), new Date(point + 60_000)],
    );
    const day = await deviceHistory(db, deviceId, "day", now);
    assert.equal(day.points.length, 1);
    assert.equal(day.points[0]?.ts.getTime(), point);
    near(day.points[0]?.cpuLoadAvg, 40, "weighted cpu");
    near(day.points[0]?.cpuLoadMax, 70, "max of maxima");
    near(day.points[0]?.cpuTempAvg, 57.5, "weighted temp");
    near(day.points[0]?.throttledShare, 1, "share of the buckets that know");
  });
});
