import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type TelemetrySample, type TelemetrySampleInput, telemetrySampleSchema } from "@labfleet/protocol";
import { insertTelemetry, latestTelemetry, recentTelemetry } from "./telemetry.ts";
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

  test("an unknown device is refused (foreign key)", async () => {
    await assert.rejects(insertTelemetry(db.pool, "no-such-device", [sample(0)]), /foreign key/);
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
