import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TelemetrySample, type TelemetrySampleInput, telemetrySampleSchema } from "@labfleet/protocol";
import {
  insertTelemetry,
  insertTelemetryMany,
  latestTelemetry,
  recentTelemetry,
  UnknownDeviceError,
} from "./telemetry.ts";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";

let db: TestDatabase;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0, 123);

function sample(i: number, over: Partial<TelemetrySampleInput> = {}): TelemetrySample {
  return telemetrySampleSchema.parse({
    ts: T0 + i * 1000,
    cpuLoadPct: (10 + i) % 100,
    cpuPerCorePct: [(10 + i) % 100, (20 + i) % 100],
    loadAvg1: 0.5,
    memTotalBytes: 16 * 1024 ** 3,
    memUsedBytes: 4 * 1024 ** 3 + i,
    memAvailableBytes: 12 * 1024 ** 3 - i,
    cpuTempC: 45.5,
    uptimeS: 1000 + i,
    ...over,
  });
}

before(async () => {
  db = await createTestDatabase();
  // Through Prisma: this also checks that the generated client works over the pg adapter.
  const lab = await db.prisma.lab.create({ data: { name: "Lab A" } });
  await db.prisma.device.createMany({
    data: ["dev-a", "dev-b", "dev-c"].map((id) => ({ id, name: id, hostname: id, labId: lab.id })),
  });
});
after(async () => {
  await db.close();
});

describe("insertTelemetry", () => {
  test("stores a batch in one statement and skips a replayed batch", async () => {
    const batch = [0, 1, 2].map((i) => sample(i));
    assert.equal(await insertTelemetry(db.pool, "dev-a", batch), 3);
    assert.equal(await insertTelemetry(db.pool, "dev-a", batch), 0, "a replay stores nothing");
    // Overlapping replay (2 old + 2 new) and a duplicate inside the batch: only the 2 new count.
    const overlap = [1, 2, 3, 4, 4].map((i) => sample(i));
    assert.equal(await insertTelemetry(db.pool, "dev-a", overlap), 2);
    assert.equal(await insertTelemetry(db.pool, "dev-a", []), 0);
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM telemetry WHERE device_id = 'dev-a'`,
    );
    assert.equal(rows[0]?.n, "5");
  });

  test("fills the typed columns, keeps ms precision and nulls", async () => {
    await insertTelemetry(db.pool, "dev-b", [sample(0, { cpuTempC: null, loadAvg1: null })]);
    const row = await db.prisma.telemetry.findFirstOrThrow({ where: { deviceId: "dev-b" } });
    assert.equal(row.ts.getTime(), T0);
    assert.equal(row.cpuTempC, null);
    assert.equal(row.memTotalBytes, BigInt(16 * 1024 ** 3));
    assert.equal(row.memUsedBytes, BigInt(4 * 1024 ** 3));
    assert.ok(Math.abs(row.cpuLoadPct - 10) < 1e-6);
    assert.deepEqual(row.sample, sample(0, { cpuTempC: null, loadAvg1: null }));
  });

  test("an unknown device is refused and nothing of it is stored", async () => {
    await assert.rejects(insertTelemetry(db.pool, "no-such-device", [sample(0)]), UnknownDeviceError);
    const { rows } = await db.pool.query(`SELECT 1 FROM telemetry WHERE device_id = 'no-such-device'`);
    assert.equal(rows.length, 0);
  });

  test("deleting a device deletes its samples and roll-ups with it", async () => {
    await db.prisma.device.create({ data: { id: "doomed", name: "doomed", hostname: "doomed" } });
    await insertTelemetry(db.pool, "doomed", [sample(0), sample(1)]);
    await db.pool.query(
      `INSERT INTO telemetry_rollup (device_id, bucket_s, ts, n, cpu_load_avg, cpu_load_max, mem_used_avg, mem_total)
       VALUES ('doomed', 10, now(), 2, 1, 1, 1, 1), ('dev-a', 10, now(), 2, 1, 1, 1, 1)`,
    );
    await db.prisma.device.delete({ where: { id: "doomed" } });
    const left = async (table: string, id: string) =>
      (await db.pool.query(`SELECT 1 FROM ${table} WHERE device_id = $1`, [id])).rows.length;
    assert.equal(await left("telemetry", "doomed"), 0);
    assert.equal(await left("telemetry_rollup", "doomed"), 0);
    assert.ok((await left("telemetry", "dev-a")) > 0, "other devices keep theirs");
    assert.equal(await left("telemetry_rollup", "dev-a"), 1);
    await db.pool.query(`DELETE FROM telemetry_rollup WHERE device_id = 'dev-a'`);
  });
});

describe("reading telemetry", () => {
  test("recentTelemetry returns the newest samples, oldest first", async () => {
    const recent = await recentTelemetry(db.pool, "dev-a", { limit: 3 });
    assert.deepEqual(
      recent.map((s) => s.ts),
      [T0 + 2000, T0 + 3000, T0 + 4000],
    );
    assert.deepEqual(recent[0], sample(2));
    assert.equal((await recentTelemetry(db.pool, "dev-a", { limit: 100 })).length, 5);
    const since = await recentTelemetry(db.pool, "dev-a", { limit: 100, sinceMs: T0 + 3000 });
    assert.deepEqual(
      since.map((s) => s.ts),
      [T0 + 3000, T0 + 4000],
    );
    assert.deepEqual(await recentTelemetry(db.pool, "dev-a", { limit: 0 }), []);
    assert.deepEqual(await recentTelemetry(db.pool, "dev-c", { limit: 10 }), []);
  });

  test("latestTelemetry maps each device to its latest sample", async () => {
    const latest = await latestTelemetry(db.pool, ["dev-a", "dev-b", "dev-c", "dev-a"]);
    assert.deepEqual([...latest.keys()].sort(), ["dev-a", "dev-b"]);
    assert.equal(latest.get("dev-a")?.ts, T0 + 4000);
    assert.equal(latest.get("dev-b")?.ts, T0);
    assert.equal((await latestTelemetry(db.pool, [])).size, 0);
  });

  test("a larger batch goes in as one statement", async () => {
    const batch = Array.from({ length: 2000 }, (_, i) => sample(1000 + i));
    const started = performance.now();
    assert.equal(await insertTelemetry(db.pool, "dev-c", batch), 2000);
    assert.ok(performance.now() - started < 5000);
    assert.equal((await recentTelemetry(db.pool, "dev-c", { limit: 1 }))[0]?.ts, T0 + 2999 * 1000);
  });
});

describe("insertTelemetryMany", () => {
  const ids = ["many-1", "many-2", "many-3"];
  const rowsOf = async (deviceId: string) =>
    (
      await db.pool.query<{ ts: Date; cpu_load_pct: number }>(
        `SELECT ts, cpu_load_pct FROM telemetry WHERE device_id = $1 ORDER BY ts`,
        [deviceId],
      )
    ).rows;

  before(async () => {
    await db.prisma.device.createMany({ data: ids.map((id) => ({ id, name: id, hostname: id })) });
  });

  test("stores several devices in one statement and counts the new rows of each", async () => {
    const counts = await insertTelemetryMany(db.pool, [
      { deviceId: "many-1", samples: [sample(0), sample(1)] },
      { deviceId: "many-2", samples: [sample(0, { cpuLoadPct: 77 })] },
      { deviceId: "many-3", samples: [] },
    ]);
    // A device with nothing to store is not asked about.
    assert.deepEqual(Object.fromEntries(counts), { "many-1": 2, "many-2": 1 });
    assert.equal((await rowsOf("many-1")).length, 2);
    const [only] = await rowsOf("many-2");
    assert.equal(only?.ts.getTime(), T0, "the timestamp keeps its milliseconds");
    assert.ok(Math.abs((only?.cpu_load_pct ?? 0) - 77) < 1e-6, "each row lands on its own device");
  });

  test("fills the typed columns: ms, bytes beyond 2^32, nulls, roll-up weight, power, throttling, the whole sample", async () => {
    const odd = sample(9, { cpuTempC: null, loadAvg1: null, memTotalBytes: 2 ** 40, memUsedBytes: 2 ** 33 + 1 });
    const hot = sample(10, { cpuTempC: 91.5, cpuLoadPct: 33.3, powerW: 12.5, throttling: true, aggregatedCount: 10 });
    const own = ["typed-1", "typed-2"];
    await db.prisma.device.createMany({ data: own.map((id) => ({ id, name: id, hostname: id })) });
    await insertTelemetryMany(db.pool, [
      { deviceId: "typed-1", samples: [odd] },
      { deviceId: "typed-2", samples: [hot] },
    ]);
    const typed = async (deviceId: string) =>
      (
        await db.pool.query(
          `SELECT ts, cpu_load_pct, mem_used_bytes, mem_total_bytes, cpu_temp_c, weight, power_w, throttling, sample
           FROM telemetry WHERE device_id = $1`,
          [deviceId],
        )
      ).rows;
    const [[a], [b]] = [await typed("typed-1"), await typed("typed-2")];
    assert.equal(a?.ts.getTime(), T0 + 9000);
    assert.equal(a?.mem_total_bytes, String(2 ** 40));
    assert.equal(a?.mem_used_bytes, String(2 ** 33 + 1));
    assert.equal(a?.cpu_temp_c, null);
    assert.deepEqual([a?.weight, a?.power_w, a?.throttling], [1, null, null]);
    assert.deepEqual(a?.sample, odd);
    assert.ok(Math.abs(b?.cpu_load_pct - 33.3) < 1e-4);
    assert.equal(b?.cpu_temp_c, 91.5);
    assert.deepEqual([b?.weight, b?.power_w, b?.throttling], [10, 12.5, true]);
    assert.deepEqual(b?.sample, hot);
  });

  test("duplicates are no-ops: a replay, an overlap and a repeat inside the statement count only new rows", async () => {
    const counts = await insertTelemetryMany(db.pool, [
      { deviceId: "many-1", samples: [sample(0), sample(1), sample(2), sample(2)] },
      { deviceId: "many-2", samples: [sample(0)] },
    ]);
    assert.deepEqual(Object.fromEntries(counts), { "many-1": 1, "many-2": 0 });
    assert.equal((await rowsOf("many-1")).length, 3);
    assert.equal((await rowsOf("many-2")).length, 1);
    // Two entries of one device add up (the same sample twice counts once).
    const same = await insertTelemetryMany(db.pool, [
      { deviceId: "many-3", samples: [sample(5)] },
      { deviceId: "many-3", samples: [sample(5), sample(6)] },
    ]);
    assert.equal(same.get("many-3"), 2);
    assert.equal((await insertTelemetryMany(db.pool, [])).size, 0);
  });

  test("a device that does not exist stores nothing and is left out; the others of the statement are stored", async () => {
    const counts = await insertTelemetryMany(db.pool, [
      { deviceId: "many-1", samples: [sample(10)] },
      { deviceId: "deleted-device", samples: [sample(10)] },
      { deviceId: "many-2", samples: [sample(10)] },
    ]);
    assert.deepEqual(Object.fromEntries(counts), { "many-1": 1, "many-2": 1 });
    assert.equal((await rowsOf("many-1")).length, 4);
    assert.equal((await rowsOf("many-2")).length, 2);
    const { rows } = await db.pool.query(`SELECT 1 FROM telemetry WHERE device_id = 'deleted-device'`);
    assert.equal(rows.length, 0);
  });
});
