import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { createTestDatabase } from "@labfleet/db/test-db";
import { createLogger } from "../logger.ts";
import type { Db } from "./deps.ts";
import { markSeen, markSeenMany, SeenWriter } from "./device.ts";

describe("lastSeenAt written in the background", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  const ids = Array.from({ length: 50 }, (_, i) => `pc-${i}`);

  const seenAt = async (id: string) =>
    (await db.prisma.device.findUniqueOrThrow({ where: { id }, select: { lastSeenAt: true } })).lastSeenAt?.getTime() ??
    null;

  before(async () => {
    database = await createTestDatabase();
    db = { prisma: database.prisma, pool: database.pool, log: createLogger({ level: "silent" }) };
  });
  after(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await db.prisma.device.deleteMany();
    await db.prisma.device.createMany({ data: ids.map((id) => ({ id, name: id, hostname: id })) });
  });

  test("every due device goes in one statement after the flush interval, none before", async () => {
    const writer = new SeenWriter(db, { everyMs: 5_000, flushMs: 100 });
    const t0 = Date.now();
    for (const [i, id] of ids.entries()) assert.equal(writer.note(id, t0 + i), true);
    assert.equal(await seenAt("pc-0"), null, "nothing is written on the report's path");
    const deadline = Date.now() + 5_000;
    while ((await seenAt("pc-49")) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const written = await Promise.all(ids.map(seenAt));
    // One statement, one time: the oldest contact of the batch, never later than any device's real one.
    assert.deepEqual(new Set(written), new Set([t0]));
  });

  test("a device is due at most once per interval; after a disconnect (forget) at once", async () => {
    const writer = new SeenWriter(db, { everyMs: 5_000, flushMs: 60_000 });
    const t0 = Date.now();
    assert.equal(writer.note("pc-1", t0), true);
    assert.equal(writer.note("pc-1", t0 + 4_999), false);
    assert.equal(writer.note("pc-1", t0 + 5_000), true);
    writer.forget("pc-1");
    assert.equal(writer.note("pc-1", t0 + 5_001), true);
    await writer.flush();
    assert.equal(await seenAt("pc-1"), t0 + 5_001);
  });

  test("a late batch never moves lastSeenAt back past a newer write (the disconnect's)", async () => {
    const t0 = Date.now();
    await markSeen(db, "pc-2", new Date(t0 + 10_000));
    assert.equal(await markSeenMany(db, ["pc-2", "pc-3"], new Date(t0)), 1);
    assert.equal(await seenAt("pc-2"), t0 + 10_000);
    assert.equal(await seenAt("pc-3"), t0);
    assert.equal(await markSeenMany(db, [], new Date(t0)), 0);
  });

  test("idle, the writer holds no timer; a flush with nothing due writes nothing", async () => {
    const writer = new SeenWriter(db, { flushMs: 10 });
    await writer.flush();
    assert.equal(await seenAt("pc-0"), null);
  });
});
