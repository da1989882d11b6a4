import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { createTestDatabase } from "@labfleet/db/test-db";
import type { Pool } from "pg";
import { isAppError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { sample } from "../testing/sockets.ts";
import type { Db } from "./deps.ts";
import { TelemetryWriter } from "./telemetry.ts";

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

describe("telemetry group commit", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  /** Every statement the writer sent, in order. */
  let statements: string[];
  const devices = ["pc-1", "pc-2", "pc-3", "pc-4"];

  const stored = async (deviceId: string) =>
    Number(
      (await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry WHERE device_id = $1`, [deviceId]))
        .rows[0]?.n,
    );
  const inserts = () => statements.filter((s) => s.includes("INSERT INTO")).length;

  before(async () => {
    database = await createTestDatabase();
    // The writer's pool, counting what goes through it; the test's own reads use database.pool.
    const counting = {
      query: (text: string, values?: unknown[]) => {
        statements.push(text);
        return database.pool.query(text, values);
      },
    } as unknown as Pool;
    db = { prisma: database.prisma, pool: counting, log: createLogger({ level: "silent" }) };
  });
  after(async () => {
    await database.close();
  });
  beforeEach(async () => {
    statements = [];
    await database.pool.query(`DELETE FROM "telemetry"; DELETE FROM "device"`);
    await database.prisma.device.createMany({ data: devices.map((id) => ({ id, name: id, hostname: id })) });
  });

  test("reports of one turn go in one statement, each answered with its own new-row count", async () => {
    const writer = new TelemetryWriter(db);
    const results = await Promise.all([
      writer.store("pc-1", [sample(T0), sample(T0 + 1000)]),
      writer.store("pc-2", [sample(T0)]),
      writer.store("pc-3", [sample(T0)]),
      // A second report of pc-1 in the same turn, overlapping the first: it goes in a statement of its own.
      writer.store("pc-1", [sample(T0 + 1000), sample(T0 + 2000)]),
    ]);
    assert.deepEqual(results, [2, 1, 1, 1]);
    assert.equal(inserts(), 2, "one statement for the three devices, one for pc-1's second report");
    assert.equal(await stored("pc-1"), 3);
    assert.equal(await writer.store("pc-2", [sample(T0)]), 0, "a replay stores nothing");
    assert.equal(await writer.store("pc-2", []), 0);
  });

  test("a report alone goes at once, in its own statement", async () => {
    const writer = new TelemetryWriter(db);
    for (let i = 0; i < 3; i++) assert.equal(await writer.store("pc-4", [sample(T0 + i * 1000)]), 1);
    assert.equal(inserts(), 3);
  });

  test("a deleted device fails alone: the others of its statement are stored and answered", async () => {
    const writer = new TelemetryWriter(db);
    const results = await Promise.allSettled([
      writer.store("pc-1", [sample(T0)]),
      writer.store("deleted-meanwhile", [sample(T0)]),
      writer.store("pc-2", [sample(T0), sample(T0 + 1000)]),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? r.value : "rejected")),
      [1, "rejected", 2],
    );
    assert.equal(await stored("pc-1"), 1);
    assert.equal(await stored("pc-2"), 2);
  });

  test("backpressure: a full queue answers BUSY; the refused report sent again later is stored, nothing lost", async () => {
    const writer = new TelemetryWriter(db, { maxInFlight: 2, maxQueuedSamples: 4 });
    // Another session holds the table: inserts wait, as they would behind a slow disk.
    const locker = await database.pool.connect();
    const accepted: Promise<number>[] = [];
    const refused: { deviceId: string; ts: number }[] = [];
    try {
      await locker.query(`BEGIN; LOCK TABLE "telemetry" IN SHARE MODE`);
      const send = (deviceId: string, ts: number) => {
        const p = writer.store(deviceId, [sample(ts)]);
        accepted.push(
          p.catch((e: unknown) => {
            assert.ok(isAppError(e) && e.code === "BUSY", `BUSY expected, got ${String(e)}`);
            refused.push({ deviceId, ts });
            return 0;
          }),
        );
      };
      // Two statements go out and wait on the lock...
      send("pc-1", T0);
      await new Promise((r) => setImmediate(r));
      send("pc-2", T0);
      await new Promise((r) => setImmediate(r));
      // ...then four samples wait for a statement, and the queue is full.
      for (let i = 1; i <= 6; i++) send(devices[i % 4] as string, T0 + i * 1000);
      await new Promise((r) => setImmediate(r));
      assert.equal(writer.queued, 4);
      assert.equal(refused.length, 2, "the fifth and sixth waiting samples are refused");
    } finally {
      await locker.query("COMMIT");
      locker.release();
    }
    const counts = await Promise.all(accepted);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      6,
    );
    assert.equal(writer.queued, 0);
    // The agent keeps a refused report and sends it again: now there is room.
    for (const r of refused) assert.equal(await writer.store(r.deviceId, [sample(r.ts)]), 1);
    const total = Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry`)).rows[0]?.n);
    assert.equal(total, 8, "every sample sent is stored exactly once");
  });
});
