import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";

describe("lab router: labs, seats and device tags", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  const devices: string[] = [];

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    for (const name of ["pc-1", "pc-2", "pc-3"]) {
      const d = await cp.db.prisma.device.create({ data: { name, hostname: name }, select: { id: true } });
      devices.push(d.id);
    }
  });
  after(async () => {
    await cp.close();
  });

  test("anonymous callers and students are refused", async () => {
    await rejectsWith(cp.caller(null).lab.list(), "UNAUTHORIZED");
    const student = await cp.user("student");
    const api = cp.caller(student);
    await rejectsWith(api.lab.list(), "FORBIDDEN");
    await rejectsWith(api.lab.create({ name: "x", rows: 1, cols: 1 }), "FORBIDDEN");
    await rejectsWith(api.lab.placeDevice({ labId: "x", seatLabel: "A1", deviceId: "y" }), "FORBIDDEN");
    await rejectsWith(api.device.addTag({ id: "x", tag: "npu" }), "FORBIDDEN");
    await rejectsWith(api.device.history({ id: "x", range: "hour" }), "FORBIDDEN");
  });

  test("a lab is created with its seat grid, renamed, resized and validated", async () => {
    const api = cp.caller(admin);
    const lab = await api.lab.create({ name: "Room 101", rows: 3, cols: 12 });
    assert.equal(lab.hotTempC, 85, "the default hot threshold");
    const seats = await cp.db.prisma.seat.findMany({
      where: { labId: lab.id },
      orderBy: [{ row: "asc" }, { col: "asc" }],
    });
    assert.equal(seats.length, 36);
    assert.deepEqual(
      [seats[0]?.label, seats[11]?.label, seats[12]?.label, seats[35]?.label],
      ["A1", "A12", "B1", "C12"],
    );
    await rejectsWith(api.lab.create({ name: "Room 101", rows: 1, cols: 1 }), "CONFLICT", /already exists/);
    await rejectsWith(api.lab.create({ name: "Big", rows: 27, cols: 1 }), "BAD_REQUEST");
    await rejectsWith(api.lab.create({ name: "Wide", rows: 1, cols: 21 }), "BAD_REQUEST");
    await rejectsWith(api.lab.create({ name: "  ", rows: 1, cols: 1 }), "BAD_REQUEST");

    const renamed = await api.lab.update({ id: lab.id, name: "Room 102", hotTempC: 80 });
    assert.equal(renamed.name, "Room 102");
    assert.equal(renamed.hotTempC, 80);
    const grown = await api.lab.update({ id: lab.id, rows: 26, cols: 20 });
    assert.equal(grown.rows, 26);
    assert.equal(await cp.db.prisma.seat.count({ where: { labId: lab.id } }), 520);
    assert.ok(await cp.db.prisma.seat.findFirst({ where: { labId: lab.id, label: "Z20" } }));
    await api.lab.update({ id: lab.id, rows: 2, cols: 2 });
    assert.equal(await cp.db.prisma.seat.count({ where: { labId: lab.id } }), 4);
    await rejectsWith(api.lab.update({ id: "missing", name: "x" }), "NOT_FOUND");
    const list = await api.lab.list();
    assert.deepEqual(
      list.map((l) => [l.name, l.rows, l.cols, l.deviceCount]),
      [["Room 102", 2, 2, 0]],
    );
  });

  test("placing, moving and unplacing devices; an occupied seat is refused", async () => {
    const api = cp.caller(admin);
    const lab = await api.lab.create({ name: "Lab P", rows: 2, cols: 3 });
    const other = await api.lab.create({ name: "Lab Q", rows: 1, cols: 1 });
    const [d1, d2, d3] = devices as [string, string, string];

    const placed = await api.lab.placeDevice({ labId: lab.id, seatLabel: "a1", deviceId: d1 });
    assert.deepEqual(placed, { deviceId: d1, seatLabel: "A1", labId: lab.id });
    await api.lab.placeDevice({ labId: lab.id, seatLabel: "B3", deviceId: d2 });
    await rejectsWith(
      api.lab.placeDevice({ labId: lab.id, seatLabel: "A1", deviceId: d2 }),
      "CONFLICT",
      /A1 is taken by pc-1/,
    );
    await rejectsWith(api.lab.placeDevice({ labId: lab.id, seatLabel: "C1", deviceId: d3 }), "NOT_FOUND", /C1/);
    await rejectsWith(api.lab.placeDevice({ labId: lab.id, seatLabel: "A0", deviceId: d3 }), "BAD_REQUEST");
    await rejectsWith(api.lab.placeDevice({ labId: lab.id, seatLabel: "A2", deviceId: "missing" }), "NOT_FOUND");

    // Moving within the lab frees the old seat; a device sits in one seat only.
    await api.lab.placeDevice({ labId: lab.id, seatLabel: "A2", deviceId: d1 });
    const seatOf = async (id: string) =>
      (await cp.db.prisma.seat.findMany({ where: { deviceId: id }, select: { label: true, labId: true } })).map(
        (s) => `${s.labId === lab.id ? "P" : "Q"}:${s.label}`,
      );
    assert.deepEqual(await seatOf(d1), ["P:A2"]);
    assert.equal((await cp.db.prisma.seat.findFirst({ where: { labId: lab.id, label: "A1" } }))?.deviceId, null);

    // Moving to another lab takes the device into that lab.
    await api.lab.placeDevice({ labId: other.id, seatLabel: "A1", deviceId: d1 });
    assert.deepEqual(await seatOf(d1), ["Q:A1"]);
    assert.equal((await cp.db.prisma.device.findUnique({ where: { id: d1 } }))?.labId, other.id);

    // Shrinking over an occupied seat is refused; unplacing keeps the device in the lab.
    await rejectsWith(api.lab.update({ id: lab.id, rows: 1 }), "CONFLICT", /B3/);
    const unplaced = await api.lab.unplaceDevice({ deviceId: d2 });
    assert.equal(unplaced.seatLabel, null);
    assert.deepEqual(await seatOf(d2), []);
    assert.equal((await cp.db.prisma.device.findUnique({ where: { id: d2 } }))?.labId, lab.id);
    await api.lab.update({ id: lab.id, rows: 1 });

    // The seat grid of a lab, with its devices, is what the room map shows.
    const snapshot = await cp.plane.hub.labSnapshot(lab.id);
    assert.equal(snapshot.seats.length, 3);
    assert.deepEqual(
      snapshot.devices.map((d) => d.name),
      ["pc-2"],
    );

    // Deleting a lab keeps its devices, with no lab and no seat.
    await api.lab.delete({ id: other.id });
    assert.equal((await cp.db.prisma.device.findUnique({ where: { id: d1 } }))?.labId, null);
    assert.deepEqual(await seatOf(d1), []);
    await rejectsWith(api.lab.delete({ id: other.id }), "NOT_FOUND");
  });

  test("device tags: lowercase words, no duplicates, at most 16", async () => {
    const api = cp.caller(admin);
    const id = devices[2] as string;
    assert.deepEqual((await api.device.addTag({ id, tag: "npu" })).tags, ["npu"]);
    assert.deepEqual((await api.device.addTag({ id, tag: "npu" })).tags, ["npu"], "adding twice is a no-op");
    await rejectsWith(api.device.addTag({ id, tag: "Has GPU" }), "BAD_REQUEST");
    await rejectsWith(api.device.addTag({ id, tag: "-x" }), "BAD_REQUEST");
    await rejectsWith(api.device.addTag({ id: "missing", tag: "npu" }), "NOT_FOUND");
    for (let i = 1; i < 16; i++) await api.device.addTag({ id, tag: `row-${i}` });
    await rejectsWith(api.device.addTag({ id, tag: "one-more" }), "CONFLICT", /at most 16/);
    const after = await api.device.removeTag({ id, tag: "npu" });
    assert.equal(after.tags.length, 15);
    assert.ok(!after.tags.includes("npu"));
    const attrs = (await api.device.attributes()).find((a) => a.id === id);
    assert.equal(attrs?.tags.length, 15);
    assert.equal(attrs?.hasGpu, false);
  });
});
