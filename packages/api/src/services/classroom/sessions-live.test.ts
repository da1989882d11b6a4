import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  type DeviceSnapshot,
  type DeviceSummary,
  type InventoryInput,
  inventorySchema,
  type LabSnapshot,
  type RunUpdated,
  type SessionUpdated,
} from "@labfleet/protocol";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { connectDashboard, type DashboardClient } from "../../testing/sockets.ts";
import { recordInventory } from "../device.ts";
import { connectTestAgent, createModel, enroll, GIB, type TestAgent, testInventory } from "../runs/test-kit.ts";
import { createAssignment, createClass, createLab, window } from "./classroom-kit.ts";

describe("lab sessions: room preparation and the live socket", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    alice = await cp.user("student");
    bob = await cp.user("student");
  });
  after(async () => {
    for (const s of open) s.close();
    await cp.close();
  });

  const setInventory = (deviceId: string, inv: Partial<InventoryInput> = {}) =>
    recordInventory(cp.db, deviceId, inventorySchema.parse(testInventory(inv)));

  test("start deploys the assignment's versions to the seats that lack them, with the fit check", async () => {
    const { versions } = await createModel(cp, { minMemoryBytes: 4 * GIB, variants: ["fp32", "int8"] });
    const versionId = versions[0]?.id as string;
    const int8 = versions[1]?.id as string;
    const has = await enroll(cp, "prep-has");
    const lacks = await enroll(cp, "prep-lacks");
    const silent = await enroll(cp, "prep-silent");
    const small = await enroll(cp, "prep-small");
    await setInventory(has.id);
    await setInventory(lacks.id);
    await setInventory(small.id, { memory: { totalBytes: 2 * GIB } });
    const lab = await createLab(cp, teacher, [has.id, lacks.id, silent.id, small.id]);
    const existing = await cp.caller(teacher).deployment.create({
      versionId,
      target: { kind: "devices", deviceIds: [has.id] },
    });
    const agent: TestAgent = await connectTestAgent(cp, lacks);
    open.push(agent);

    const cls = await createClass(cp, [teacher], [alice]);
    const assignment = await createAssignment(cp, cls.id, [versionId, int8]);
    const api = cp.caller(teacher).labSession;
    const s = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "Prepared",
      assignmentId: assignment.id,
      ...window(),
    });
    const { preparation } = await api.start({ id: s.id });
    assert.equal(preparation.deployed.length, 1);
    const deployed = preparation.deployed[0];
    assert.deepEqual(deployed?.deviceIds, [lacks.id], "only the seat that lacks it and fits");
    assert.notEqual(deployed?.deploymentId, existing.id);
    assert.deepEqual(preparation.misfits.map((m) => m.deviceName).sort(), ["prep-silent", "prep-small"]);
    assert.match(preparation.misfits.find((m) => m.deviceName === "prep-small")?.reason ?? "", /needs 4\.0 GiB/);
    // The second variant of the same model would replace the first on every seat: it is not deployed.
    assert.deepEqual(
      preparation.skipped.map((x) => x.versionId),
      [int8],
    );

    const row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: s.id } });
    assert.equal(row.deploymentId, deployed?.deploymentId);
    const want = await eventually(() => agent.desired.at(-1)?.models.find((m) => m.versionId === versionId));
    assert.equal(want.deploymentId, deployed?.deploymentId, "the seat's agent is told to fetch the model");
    // The device that already had it kept its deployment (not replaced by the session's).
    const kept = await cp.caller(teacher).deployment.get({ id: existing.id });
    assert.notEqual(kept.status, "replaced");

    const view = await api.get({ id: s.id });
    assert.equal(view.viewer, "teacher");
    if (view.viewer === "teacher") {
      const v = view.preparation.versions[0];
      assert.deepEqual([v?.devices, v?.deployed, v?.ready], [4, 2, 0]);
      assert.deepEqual(v?.misfits.map((m) => m.deviceName).sort(), ["prep-silent", "prep-small"]);
      assert.deepEqual(
        view.preparation.skipped.map((x) => x.versionId),
        [int8],
      );
    }
    await api.end({ id: s.id });
  });

  test("a student's socket watches only their own seat and gets only their own runs", async () => {
    const lab = await createLab(cp, teacher, 2);
    const cls = await createClass(cp, [teacher], [alice, bob]);
    const api = cp.caller(teacher).labSession;
    const s = await api.schedule({ classId: cls.id, labId: lab.id, title: "Live", ...window() });
    await api.start({ id: s.id });
    const [aliceSeat, bobSeat] = lab.deviceIds as [string, string];
    const codes = (await api.seatCodes({ labId: lab.id })).codes;
    await cp.caller(alice).labSession.checkIn({ seatCode: codes[0]?.seatCode as string });
    await cp.caller(bob).labSession.checkIn({ seatCode: codes[1]?.seatCode as string });

    const aliceSocket: DashboardClient = await connectDashboard(cp.url, await cp.cookieFor(alice));
    const staffSocket: DashboardClient = await connectDashboard(cp.url, await cp.cookieFor(teacher));
    open.push(aliceSocket, staffSocket);
    const aliceRuns: RunUpdated[] = [];
    const staffRuns: RunUpdated[] = [];
    const aliceSessions: SessionUpdated[] = [];
    aliceSocket.on("run:updated", (u) => aliceRuns.push(u));
    aliceSocket.on("session:updated", (u) => aliceSessions.push(u));
    staffSocket.on("run:updated", (u) => staffRuns.push(u));

    const own = (await aliceSocket.emitWithAck("device:subscribe", { deviceId: aliceSeat })) as Ack<DeviceSnapshot>;
    assert.ok(own.ok, "her own seat");
    assert.equal(own.data.device.id, aliceSeat);
    const other = (await aliceSocket.emitWithAck("device:subscribe", { deviceId: bobSeat })) as Ack<DeviceSnapshot>;
    assert.equal(!other.ok && other.error.code, "NOT_FOUND");
    const fleet = (await aliceSocket.emitWithAck("fleet:subscribe", {})) as Ack<DeviceSummary[]>;
    assert.equal(!fleet.ok && fleet.error.code, "FORBIDDEN");
    const room = (await aliceSocket.emitWithAck("lab:subscribe", { labId: lab.id })) as Ack<LabSnapshot>;
    assert.equal(!room.ok && room.error.code, "FORBIDDEN");

    // Bob's hand: Alice's page hears that the session changed (and refetches what she may see).
    await cp.caller(bob).labSession.raiseHand({ sessionId: s.id });
    await eventually(() => aliceSessions.some((u) => u.sessionId === s.id));

    const { versions } = await createModel(cp);
    const mkRun = (studentId: string, deviceId: string) =>
      cp.db.prisma.run.create({
        data: {
          deviceId,
          versionId: versions[0]?.id as string,
          kind: "benchmark",
          spec: {},
          status: "running",
          sessionId: s.id,
          studentId,
        },
        select: { id: true },
      });
    const bobRun = await mkRun(bob.id, bobSeat);
    const aliceRun = await mkRun(alice.id, aliceSeat);
    const update = (runId: string, deviceId: string): RunUpdated => ({
      runId,
      groupId: null,
      deviceId,
      status: "running",
      progress: { runId, phase: "measuring", done: 5, total: 10, elapsedMs: 100 },
    });
    cp.plane.hub.publishRun(update(bobRun.id, bobSeat));
    cp.plane.hub.publishRun(update(aliceRun.id, aliceSeat));
    await eventually(() => aliceRuns.some((u) => u.runId === aliceRun.id));
    await eventually(() => staffRuns.length >= 2);
    await cp.plane.hub.drain();
    // An acked round trip: anything emitted to her before it has arrived by now.
    await aliceSocket.emitWithAck("device:unsubscribe", { deviceId: aliceSeat });
    assert.deepEqual(
      aliceRuns.map((u) => u.runId),
      [aliceRun.id],
      "never another student's run",
    );
    assert.deepEqual(staffRuns.map((u) => u.runId).sort(), [aliceRun.id, bobRun.id].sort());
    assert.equal(aliceRuns[0]?.progress?.done, 5, "the payload is the staff's");

    // After the session ends she may no longer watch the seat.
    await api.end({ id: s.id });
    const after = (await aliceSocket.emitWithAck("device:subscribe", { deviceId: aliceSeat })) as Ack<DeviceSnapshot>;
    assert.equal(!after.ok && after.error.code, "NOT_FOUND");
  });
});
