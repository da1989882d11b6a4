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
import { desiredModelsFor } from "../deployments/desired.ts";
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

  test("start deploys every variant the assignment allows to the seats that lack it, with the fit check", async () => {
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
    assert.deepEqual(
      preparation.deployed.map((d) => [d.versionId, [...d.deviceIds].sort()]),
      [
        [versionId, [lacks.id]],
        [int8, [has.id, lacks.id].sort()],
      ],
      "each variant to the seats that lack it and fit: the seat with fp32 gets only int8",
    );
    const [fp32Dep, int8Dep] = preparation.deployed.map((d) => d.deploymentId);
    assert.notEqual(fp32Dep, existing.id);
    const misfits = preparation.misfits.map((m) => `${m.versionId === int8 ? "int8" : "fp32"} ${m.deviceName}`);
    assert.deepEqual(misfits.sort(), ["fp32 prep-silent", "fp32 prep-small", "int8 prep-silent", "int8 prep-small"]);
    assert.match(preparation.misfits.find((m) => m.deviceName === "prep-small")?.reason ?? "", /needs 4\.0 GiB/);

    const row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: s.id } });
    assert.equal(row.deploymentId, fp32Dep);
    // The seat's agent is told to fetch both variants, side by side.
    const want = await eventually(() => {
      const models = agent.desired.at(-1)?.models ?? [];
      return models.length === 2 ? models : null;
    });
    assert.deepEqual(
      want.map((m) => [m.versionId, m.deploymentId]),
      [
        [versionId, fp32Dep],
        [int8, int8Dep],
      ],
    );
    // Neither the seat's earlier deployment nor the session's first variant was replaced by a later variant.
    for (const id of [existing.id, fp32Dep, int8Dep] as string[]) {
      assert.notEqual((await cp.caller(teacher).deployment.get({ id })).status, "replaced", id);
    }
    assert.deepEqual(
      (await desiredModelsFor(cp.db, has.id)).map((m) => m.versionId),
      [versionId, int8],
    );
    assert.equal((await cp.caller(teacher).deployment.get({ id: int8Dep as string })).previousId, null);

    const view = await api.get({ id: s.id });
    assert.equal(view.viewer, "teacher");
    if (view.viewer === "teacher") {
      const v = view.preparation.versions[0];
      assert.deepEqual([v?.devices, v?.deployed, v?.ready], [4, 2, 0]);
      assert.deepEqual(v?.misfits.map((m) => m.deviceName).sort(), ["prep-silent", "prep-small"]);
      const w = view.preparation.versions[1];
      assert.deepEqual([w?.versionId, w?.devices, w?.deployed, w?.ready], [int8, 4, 2, 0], "both variants are shown");
    }
    await api.end({ id: s.id });
  });

  test("an ordinary rollout after the session still replaces the other versions of the model", async () => {
    const { versions } = await createModel(cp, { variants: ["fp32", "int8", "fp16"] });
    const [fp32, int8, fp16] = versions.map((v) => v.id) as [string, string, string];
    const seats = [await enroll(cp, "roll-1"), await enroll(cp, "roll-2")];
    for (const d of seats) await setInventory(d.id);
    const lab = await createLab(
      cp,
      teacher,
      seats.map((d) => d.id),
    );
    const cls = await createClass(cp, [teacher], [alice]);
    const assignment = await createAssignment(cp, cls.id, [fp32, int8]);
    const api = cp.caller(teacher).labSession;
    const s = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "Twice",
      assignmentId: assignment.id,
      ...window(),
    });
    const { preparation } = await api.start({ id: s.id });
    assert.equal(preparation.deployed.length, 2);
    for (const d of seats) {
      assert.deepEqual(
        (await desiredModelsFor(cp.db, d.id)).map((m) => m.versionId),
        [fp32, int8],
      );
    }
    await api.end({ id: s.id });

    const rollout = await cp
      .caller(teacher)
      .deployment.create({ versionId: fp16, target: { kind: "lab", labId: lab.id } });
    for (const d of seats) {
      assert.deepEqual(
        (await desiredModelsFor(cp.db, d.id)).map((m) => m.versionId),
        [fp16],
        "the rollout's version alone",
      );
    }
    for (const d of preparation.deployed) {
      assert.equal((await cp.caller(teacher).deployment.get({ id: d.deploymentId })).status, "replaced");
    }
    const view = await cp.caller(teacher).deployment.get({ id: rollout.id });
    assert.equal(view.previousId, preparation.deployed[1]?.deploymentId, "a rollback restores the newest replaced");

    // A second session of the same assignment puts both variants back: its own deployments replace the rollout.
    const again = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "Again",
      assignmentId: assignment.id,
      ...window(),
    });
    const second = await api.start({ id: again.id });
    assert.deepEqual(
      second.preparation.deployed.map((d) => d.versionId),
      [fp32, int8],
    );
    for (const d of seats) {
      assert.deepEqual(
        (await desiredModelsFor(cp.db, d.id)).map((m) => m.versionId),
        [fp32, int8],
      );
    }
    await api.end({ id: again.id });
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
