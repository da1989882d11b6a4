// An instructor sees the labs they use and the devices in them, over tRPC and the dashboard socket; an admin sees
// everything. Real PostgreSQL, real sockets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Ack, type AlertSummary, type DeviceSummary, inventorySchema } from "@labfleet/protocol";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { connectDashboard, type DashboardClient, sample } from "../testing/sockets.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";
import { recordInventory } from "./device.ts";
import {
  connectTestAgent,
  createModel,
  enroll,
  type TestAgent,
  type TestDevice,
  testInventory,
} from "./runs/test-kit.ts";

describe("what an instructor sees of the fleet", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let teacher: TestUser;
  let outsider: TestUser;
  let room: { id: string };
  let other: { id: string };
  let inRoom: TestDevice;
  let elsewhere: TestDevice;
  let unplaced: TestDevice;
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 1000, idleMs: 30_000 });
    admin = await cp.user("admin");
    teacher = await cp.user("instructor");
    outsider = await cp.user("instructor");
    room = await cp.caller(admin).lab.create({ name: "Room 1", rows: 1, cols: 2 });
    other = await cp.caller(admin).lab.create({ name: "Room 2", rows: 1, cols: 2 });
    inRoom = await enroll(cp, "room1-a1", room.id);
    elsewhere = await enroll(cp, "room2-a1", other.id);
    unplaced = await enroll(cp, "spare");
    for (const d of [inRoom, elsewhere]) {
      await recordInventory(cp.db, d.id, inventorySchema.parse(testInventory({ hostname: d.name })));
    }
    // The teacher's class has a session in Room 1: that is the lab they use.
    const cls = await cp.caller(teacher).class.create({ name: "Edge AI", term: "Spring" });
    await cp.caller(teacher).labSession.schedule({
      classId: cls.id,
      labId: room.id,
      title: "Lab 1",
      startsAt: new Date(Date.now() + 3_600_000),
      endsAt: new Date(Date.now() + 7_200_000),
    });
  });
  after(async () => {
    for (const s of open) s.close();
    await cp?.close();
  });

  test("device and lab lists: an instructor the labs of their sessions, an admin everything", async () => {
    const ids = async (u: TestUser) => (await cp.caller(u).device.list()).map((d) => d.id).sort();
    assert.deepEqual(await ids(teacher), [inRoom.id]);
    assert.deepEqual(await ids(outsider), []);
    assert.deepEqual(await ids(admin), [inRoom.id, elsewhere.id, unplaced.id].sort());
    assert.deepEqual(
      (await cp.caller(teacher).device.attributes()).map((a) => a.id),
      [inRoom.id],
    );
    assert.deepEqual(
      (await cp.caller(teacher).lab.list()).map((l) => l.name),
      ["Room 1"],
    );
    // Booking a room needs every room's name.
    assert.deepEqual(
      (await cp.caller(outsider).lab.choices()).map((l) => l.name),
      ["Room 1", "Room 2"],
    );
    await rejectsWith(cp.caller(teacher).device.get({ id: elsewhere.id }), "NOT_FOUND");
    await rejectsWith(cp.caller(teacher).lab.get({ id: other.id }), "NOT_FOUND");
    await rejectsWith(cp.caller(teacher).device.revoke({ id: unplaced.id }), "NOT_FOUND");
  });

  test("a lab an instructor makes is theirs, and a device they enroll with its token lands in it", async () => {
    const lab = await cp.caller(outsider).lab.create({ name: "Annex", rows: 1, cols: 1 });
    assert.deepEqual(
      (await cp.caller(outsider).lab.list()).map((l) => l.name),
      ["Annex"],
    );
    await rejectsWith(
      cp.caller(outsider).enrollmentToken.create({ label: "no lab", expiresInHours: 1, maxUses: 1 }),
      "BAD_REQUEST",
      /Choose one of your labs/,
    );
    await rejectsWith(
      cp.caller(outsider).enrollmentToken.create({ label: "x", expiresInHours: 1, maxUses: 1, labId: room.id }),
      "NOT_FOUND",
    );
    const token = await cp.caller(outsider).enrollmentToken.create({
      label: "Annex",
      expiresInHours: 1,
      maxUses: 1,
      labId: lab.id,
    });
    // Tokens: an instructor sees their own; an admin all.
    assert.deepEqual(
      (await cp.caller(outsider).enrollmentToken.list()).map((t) => t.id),
      [token.id],
    );
    assert.ok((await cp.caller(admin).enrollmentToken.list()).some((t) => t.id === token.id));
    await rejectsWith(cp.caller(teacher).enrollmentToken.revoke({ id: token.id }), "NOT_FOUND");
  });

  test("deployments, runs and alert rules stay within the instructor's labs", async () => {
    const model = await createModel(cp);
    const versionId = model.versions[0]?.id as string;
    await rejectsWith(
      cp.caller(teacher).deployment.checkFit({ versionId, target: { kind: "lab", labId: other.id } }),
      "NOT_FOUND",
    );
    await rejectsWith(
      cp.caller(teacher).deployment.checkFit({ versionId, target: { kind: "tag", tag: "gpu" } }),
      "FORBIDDEN",
      /tag spans the whole fleet/,
    );
    await rejectsWith(
      cp
        .caller(teacher)
        .deployment.create({ versionId, target: { kind: "devices", deviceIds: [inRoom.id, elsewhere.id] } }),
      "NOT_FOUND",
    );
    // An admin's deployment over both rooms: the teacher sees it with their device only, and may not undo it.
    const both = await cp.caller(admin).deployment.create({
      versionId,
      target: { kind: "devices", deviceIds: [inRoom.id, elsewhere.id] },
    });
    const seen = await cp.caller(teacher).deployment.get({ id: both.id });
    assert.deepEqual(
      seen.devices.map((d) => d.deviceId),
      [inRoom.id],
    );
    assert.deepEqual(await cp.caller(outsider).deployment.list({}), []);
    await rejectsWith(cp.caller(outsider).deployment.get({ id: both.id }), "NOT_FOUND");
    await rejectsWith(cp.caller(teacher).deployment.remove({ id: both.id }), "FORBIDDEN", /outside your labs/);

    await rejectsWith(
      cp.caller(teacher).run.start({ versionId, deviceId: elsewhere.id, spec: { kind: "benchmark", iterations: 5 } }),
      "NOT_FOUND",
    );
    const staffRun = await cp.db.prisma.run.create({
      data: { deviceId: elsewhere.id, versionId, kind: "benchmark", spec: { kind: "benchmark" }, status: "done" },
    });
    assert.ok(!(await cp.caller(teacher).run.list({})).some((r) => r.id === staffRun.id));
    assert.ok((await cp.caller(admin).run.list({})).some((r) => r.id === staffRun.id));

    await rejectsWith(
      cp.caller(teacher).alertRule.update({ labId: null, kind: "cpu_temp", threshold: 70, forS: 60, enabled: true }),
      "FORBIDDEN",
      /fleet-wide/,
    );
    const rule = await cp.caller(teacher).alertRule.update({
      labId: room.id,
      kind: "cpu_temp",
      threshold: 70,
      forS: 60,
      enabled: true,
    });
    assert.equal(rule.threshold, 70);
  });

  test("alerts: listed, counted and pushed to the staff who may see the device", async () => {
    const fire = (deviceId: string) =>
      cp.db.prisma.alert.create({ data: { deviceId, kind: "cpu_temp", state: "firing", message: "hot" } });
    const mine = await fire(inRoom.id);
    const theirs = await fire(elsewhere.id);
    const listed = (await cp.caller(teacher).alert.list({})).map((a) => a.id);
    assert.ok(listed.includes(mine.id) && !listed.includes(theirs.id));
    assert.equal((await cp.caller(outsider).alert.counts()).firing, 0);
    await rejectsWith(cp.caller(teacher).alert.acknowledge({ id: theirs.id }), "NOT_FOUND");

    const sockets = await Promise.all([teacher, outsider, admin].map(async (u) => dashboard(u)));
    const [toTeacher, toOutsider, toAdmin] = sockets.map((s) => collect<AlertSummary>(s, "alert:updated"));
    const summary = await cp.caller(admin).alert.get({ id: mine.id });
    const elsewhereSummary = await cp.caller(admin).alert.get({ id: theirs.id });
    cp.plane.hub.publishAlert(summary);
    cp.plane.hub.publishAlert(elsewhereSummary);
    await until(() => assert.equal(toAdmin?.length, 2));
    await until(() =>
      assert.deepEqual(
        toTeacher?.map((a) => a.id),
        [mine.id],
      ),
    );
    assert.deepEqual(toOutsider, []);
  });

  test("the fleet room: an instructor's snapshot and live summaries are their labs' devices only", async () => {
    const agents: TestAgent[] = [];
    for (const d of [inRoom, elsewhere]) {
      const a = await connectTestAgent(cp, d);
      open.push(a);
      agents.push(a);
    }
    const teacherSocket = await dashboard(teacher);
    const adminSocket = await dashboard(admin);
    const snapshot = (await teacherSocket.emitWithAck("fleet:subscribe", {})) as Ack<DeviceSummary[]>;
    assert.ok(snapshot.ok, JSON.stringify(snapshot));
    assert.deepEqual(
      snapshot.data.map((d) => d.id),
      [inRoom.id],
    );
    await adminSocket.emitWithAck("fleet:subscribe", {});
    const seenByTeacher = collectSummaries(teacherSocket);
    const seenByAdmin = collectSummaries(adminSocket);
    for (const a of agents) await a.socket.emitWithAck("telemetry:report", { samples: [sample(Date.now())] });
    await until(() => assert.deepEqual(new Set(seenByAdmin.map((d) => d.id)), new Set([inRoom.id, elsewhere.id])));
    // Both devices' summaries went out in one flush: the admin's arrived, so the teacher's had to by now.
    await teacherSocket.emitWithAck("fleet:subscribe", {});
    assert.deepEqual(new Set(seenByTeacher.map((d) => d.id)), new Set([inRoom.id]));
    assert.ok(
      seenByTeacher.every((d) => d.latest !== null),
      "the teacher's device arrived with its sample",
    );
    // A watched fleet page speeds up the instructor's devices only.
    await adminSocket.emitWithAck("fleet:unsubscribe", {});
    await until(() => {
      assert.equal(agents[0]?.socket.configs.at(-1)?.telemetryIntervalMs, 1000);
      assert.equal(agents[1]?.socket.configs.at(-1)?.telemetryIntervalMs, 30_000);
    });
    const lab = (await teacherSocket.emitWithAck("lab:subscribe", { labId: other.id })) as Ack<unknown>;
    assert.equal(lab.ok ? "ok" : lab.error.code, "NOT_FOUND");
  });

  async function dashboard(u: TestUser): Promise<DashboardClient> {
    const socket = await connectDashboard(cp.url, await cp.cookieFor(u));
    open.push(socket);
    return socket;
  }
});

/** Waits until the assertions in `check` hold (bounded, as `eventually`). */
async function until(check: () => void): Promise<void> {
  await eventually(() => {
    check();
    return true;
  });
}

/** Every device summary the socket receives, one at a time or gathered. */
function collectSummaries(socket: DashboardClient): DeviceSummary[] {
  const got: DeviceSummary[] = [];
  socket.on("device:updated", (d) => got.push(d));
  socket.on("devices:updated", ({ devices }) => got.push(...devices));
  return got;
}

function collect<T>(socket: DashboardClient, event: "alert:updated"): T[] {
  const got: T[] = [];
  socket.on(event, (payload: unknown) => got.push(payload as T));
  return got;
}
