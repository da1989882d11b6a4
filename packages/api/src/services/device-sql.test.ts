import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase } from "@labfleet/db/test-db";
import { inventorySchema, PROTOCOL_VERSION } from "@labfleet/protocol";
import pg from "pg";
import { sha256Hex } from "../crypto.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "./deps.ts";
import { authenticateDevice, deviceRowSelect, getDeviceRow, recordInventory } from "./device.ts";
import { rotationRequested } from "./device-credential.ts";
import { testInventory } from "./runs/test-kit.ts";

// A connection's reads and writes are plain SQL (Prisma cost ~1 ms of the event loop a query). They must read and
// write exactly what Prisma would, in any session time zone: the timestamps are zone-less columns holding UTC.
describe("the plain-SQL queries of a connection", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let zoned: pg.Pool;
  const T = new Date(Date.UTC(2026, 6, 1, 23, 59, 58, 123));

  before(async () => {
    database = await createTestDatabase();
    // Far from UTC, on a date that is another day there: a zone mix-up shows in hours and in the date.
    zoned = new pg.Pool({ connectionString: database.databaseUrl, options: "-c TimeZone=Pacific/Kiritimati", max: 2 });
    db = { prisma: database.prisma, pool: zoned, log: createLogger({ level: "silent" }) };
    const lab = await db.prisma.lab.create({ data: { name: "Lab" } });
    await db.prisma.device.create({
      data: {
        id: "pc-1",
        name: "PC one",
        hostname: "pc-1",
        labId: lab.id,
        lastSeenAt: T,
        credentials: { create: { secretHash: sha256Hex("lfd_right"), createdAt: T } },
      },
    });
    await db.prisma.device.create({
      data: {
        id: "pc-gone",
        name: "gone",
        hostname: "gone",
        revokedAt: T,
        credentials: { create: { secretHash: sha256Hex("lfd_gone") } },
      },
    });
  });
  after(async () => {
    await zoned.end();
    await database.close();
  });

  const hs = (deviceId: string, secret: string) => ({
    deviceId,
    secret,
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: "t",
  });

  test("getDeviceRow reads what Prisma reads, milliseconds and nulls included", async () => {
    for (const id of ["pc-1", "pc-gone"]) {
      const viaPrisma = await db.prisma.device.findUnique({ where: { id }, select: deviceRowSelect });
      assert.deepEqual(await getDeviceRow(db, id), viaPrisma);
    }
    assert.equal((await getDeviceRow(db, "pc-1"))?.lastSeenAt?.getTime(), T.getTime());
    assert.equal(await getDeviceRow(db, "nobody"), null);
  });

  test("the handshake accepts the right secret only, says revoked, and returns the device's lab", async () => {
    const lab = (await db.prisma.device.findUniqueOrThrow({ where: { id: "pc-1" } })).labId;
    assert.deepEqual(await authenticateDevice(db, hs("pc-1", "lfd_right")), {
      id: "pc-1",
      name: "PC one",
      inventoryHash: null,
      labId: lab,
    });
    await assert.rejects(authenticateDevice(db, hs("pc-1", "lfd_wrong")), { code: "BAD_CREDENTIAL" });
    await assert.rejects(authenticateDevice(db, hs("nobody", "lfd_right")), { code: "BAD_CREDENTIAL" });
    await assert.rejects(authenticateDevice(db, hs("pc-gone", "lfd_gone")), { code: "DEVICE_REVOKED" });
  });

  test("connecting with the newer of two live secrets completes a rotation: the older one stops working", async () => {
    assert.equal(await rotationRequested(db, "pc-1"), false);
    await db.prisma.deviceCredential.create({
      data: { deviceId: "pc-1", secretHash: sha256Hex("lfd_newer"), createdAt: new Date(T.getTime() + 1) },
    });
    await authenticateDevice(db, hs("pc-1", "lfd_newer"));
    await assert.rejects(authenticateDevice(db, hs("pc-1", "lfd_right")), { code: "BAD_CREDENTIAL" });
    await authenticateDevice(db, hs("pc-1", "lfd_newer"));
  });

  test("recordInventory writes what Prisma wrote, only when the inventory changed", async () => {
    const inventory = inventorySchema.parse(testInventory({ hostname: "pc-1.lab" }));
    const before = Date.now();
    assert.equal(await recordInventory(db, "pc-1", inventory), true);
    const row = await db.prisma.device.findUniqueOrThrow({ where: { id: "pc-1" } });
    assert.deepEqual(row.inventory, JSON.parse(JSON.stringify(inventory)));
    assert.equal(row.hostname, "pc-1.lab");
    assert.equal(row.agentVersion, inventory.agent.version);
    assert.equal(row.simulated, inventory.simulated);
    assert.equal(row.inventoryHash?.length, 64);
    // updatedAt in UTC, as @updatedAt writes it: within the test's own clock, not hours off.
    assert.ok(Math.abs(row.updatedAt.getTime() - before) < 60_000, row.updatedAt.toISOString());
    assert.equal(await recordInventory(db, "pc-1", inventory), false, "the same inventory again writes nothing");
    assert.equal((await authenticateDevice(db, hs("pc-1", "lfd_newer"))).inventoryHash, row.inventoryHash);
    const changed = inventorySchema.parse(testInventory({ hostname: "pc-1.renamed" }));
    assert.equal(await recordInventory(db, "pc-1", changed), true);
    assert.equal(await recordInventory(db, "nobody", changed), false);
  });
});
