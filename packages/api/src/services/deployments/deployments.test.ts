import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  type DeploymentUpdated,
  type DesiredModel,
  type InventoryInput,
  inventorySchema,
  type ModelStatus,
} from "@labfleet/protocol";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { connectDashboard, sample } from "../../testing/sockets.ts";
import { rejectsWith } from "../../testing/trpc-assert.ts";
import { recordInventory } from "../device.ts";
import {
  connectTestAgent,
  createModel,
  enroll,
  GIB,
  reportFinished,
  runResult,
  sign,
  type TestAgent,
  type TestDevice,
  testInventory,
} from "../runs/test-kit.ts";
import { storeTelemetry } from "../telemetry.ts";
import { desiredModelsFor } from "./desired.ts";
import { advanceAllDeployments } from "./waves.ts";

async function setInventory(cp: TestControlPlane, deviceId: string, inv: Partial<InventoryInput> = {}) {
  await recordInventory(cp.db, deviceId, inventorySchema.parse(testInventory(inv)));
}

const lastDesired = (a: TestAgent): DesiredModel[] => a.desired.at(-1)?.models ?? [];

async function report(a: TestAgent, models: Partial<ModelStatus> & Pick<ModelStatus, "deploymentId" | "versionId">) {
  const status: ModelStatus = { state: "ready", percent: 100, error: null, ...models };
  return (await a.socket.emitWithAck("models:status", { models: [status] })) as Ack<{ stored: number }>;
}

describe("deployments", () => {
  let cp: TestControlPlane;
  let staff: TestUser;
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    cp = await startTestControlPlane();
    staff = await cp.user("admin");
  });
  after(async () => {
    for (const s of open) s.close();
    await cp.close();
  });

  const agentFor = async (d: TestDevice) => {
    const a = await connectTestAgent(cp, d);
    open.push(a);
    return a;
  };

  test("the fit check lists every device that cannot run the version, with the reason", async () => {
    const { versions } = await createModel(cp, { minMemoryBytes: 4 * GIB, fileBytes: 2 * GIB });
    const versionId = versions[0]?.id as string;
    const mk = async (name: string) => {
      const d = await enroll(cp, name);
      await cp.db.prisma.device.update({ where: { id: d.id }, data: { tags: ["fit"] } });
      return d;
    };
    const good = await mk("fit-good");
    await setInventory(cp, good.id);
    const small = await mk("fit-small");
    await setInventory(cp, small.id, { memory: { totalBytes: 2 * GIB } });
    const bare = await mk("fit-bare");
    await setInventory(cp, bare.id, { runtimes: [] });
    const full = await mk("fit-full");
    await setInventory(cp, full.id);
    await storeTelemetry(cp.db, full.id, [
      sample(Date.now(), { diskTotalBytes: 100 * GIB, diskUsedBytes: 99.5 * GIB }),
    ]);
    const silent = await mk("fit-silent");
    const revoked = await mk("fit-revoked");
    await setInventory(cp, revoked.id);
    await cp.db.prisma.device.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });

    const api = cp.caller(staff).deployment;
    const fit = await api.checkFit({ versionId, target: { kind: "tag", tag: "fit" } });
    assert.deepEqual(fit.fits, [{ deviceId: good.id, name: "fit-good" }]);
    const reasons = Object.fromEntries(fit.misfits.map((m) => [m.name, m.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ["fit-bare", "fit-full", "fit-silent", "fit-small"]);
    assert.match(reasons["fit-small"] ?? "", /needs 4\.0 GiB of memory, has 2\.0 GiB/);
    assert.match(reasons["fit-bare"] ?? "", /runtime onnxruntime-node is not available/);
    assert.match(reasons["fit-full"] ?? "", /free disk, has 0\.5 GiB/);
    assert.equal(reasons["fit-silent"], "no inventory yet: the agent has not reported");

    const npu = await api.checkFit({
      versionId,
      target: { kind: "devices", deviceIds: [good.id] },
      executionProvider: "openvino",
    });
    assert.match(npu.misfits[0]?.reason ?? "", /execution provider openvino is not available/);
    await rejectsWith(api.checkFit({ versionId, target: { kind: "lab", labId: "no-such-lab" } }), "NOT_FOUND");
    await rejectsWith(api.create({ versionId, target: { kind: "devices", deviceIds: [small.id] } }), "CONFLICT");
    void silent;
  });

  test("waves: the first wave gets the files at once, status flows to rows and dashboards, later waves follow", async () => {
    const lab = await cp.caller(staff).lab.create({ name: "Wave room", rows: 2, cols: 2 });
    const { versions } = await createModel(cp);
    const v = versions[0] as (typeof versions)[number];
    const devs: TestDevice[] = [];
    for (const n of ["w-1", "w-2", "w-3"]) {
      const d = await enroll(cp, n, lab.id);
      await setInventory(cp, d.id);
      devs.push(d);
    }
    const [d1, d2, d3] = devs as [TestDevice, TestDevice, TestDevice];
    const a1 = await agentFor(d1);
    const a2 = await agentFor(d2);
    const dash = await connectDashboard(cp.url, await cp.cookieFor(staff));
    open.push(dash);
    const updates: DeploymentUpdated[] = [];
    dash.on("deployment:updated", (u) => updates.push(u));

    const api = cp.caller(staff).deployment;
    const { id, misfits } = await api.create({
      versionId: v.id,
      target: { kind: "lab", labId: lab.id },
      strategy: { waves: 2, gate: null },
    });
    assert.deepEqual(misfits, []);
    let dep = await api.get({ id });
    assert.deepEqual(
      dep.devices.map((x) => [x.name, x.wave, x.state, x.online]),
      [
        ["w-1", 0, "queued", true],
        ["w-2", 0, "queued", true],
        ["w-3", 1, "pending", false],
      ],
    );
    assert.equal(dep.version.id, v.id);
    assert.ok(dep.createdAt instanceof Date);

    const want = await eventually(() => lastDesired(a1).find((m) => m.deploymentId === id));
    assert.equal(want.versionId, v.id);
    assert.equal(want.runtime, "onnxruntime-node");
    assert.equal(want.task, "onnx-generic");
    assert.deepEqual(want.files, v.files);
    assert.deepEqual(await desiredModelsFor(cp.db, d3.id), [], "wave 1 has not started");

    // Progress and an error are stored on the reporting device's row only; unknown ids are ignored.
    assert.deepEqual(await report(a1, { deploymentId: id, versionId: v.id, state: "downloading", percent: 42 }), {
      ok: true,
      data: { stored: 1 },
    });
    assert.deepEqual(await report(a1, { deploymentId: "nope", versionId: v.id }), { ok: true, data: { stored: 0 } });
    assert.deepEqual(await report(a1, { deploymentId: id, versionId: "other-version" }), {
      ok: true,
      data: { stored: 0 },
    });
    await eventually(() => updates.some((u) => u.deploymentId === id && u.deviceId === d1.id));
    dep = await api.get({ id });
    assert.deepEqual(
      dep.devices.map((x) => [x.state, x.percent]),
      [
        ["downloading", 42],
        ["queued", null],
        ["pending", null],
      ],
    );
    await report(a2, {
      deploymentId: id,
      versionId: v.id,
      state: "failed",
      percent: null,
      error: { code: "CHECKSUM_MISMATCH", message: "model.onnx: SHA-256 differs" },
    });
    dep = await api.get({ id });
    assert.equal(dep.devices[1]?.errorMessage, "model.onnx: SHA-256 differs");
    assert.equal(dep.currentWave, 0, "a failed device holds its wave");

    await report(a1, { deploymentId: id, versionId: v.id });
    await report(a2, { deploymentId: id, versionId: v.id });
    dep = await api.get({ id });
    assert.equal(dep.currentWave, 1, "both of wave 0 ready: wave 1 starts");
    assert.equal(dep.devices[2]?.state, "queued");

    // The wave-1 device was offline: it gets the deployment when it comes back.
    const a3 = await agentFor(d3);
    const got = await eventually(() => lastDesired(a3).find((m) => m.deploymentId === id));
    assert.equal(got.versionId, v.id);
    await report(a3, { deploymentId: id, versionId: v.id, state: "downloading", percent: 10 });
    a3.close();
    await eventually(() => !cp.plane.hub.isOnline(d3.id));
    const a3again = await agentFor(d3);
    await eventually(() => lastDesired(a3again).some((m) => m.deploymentId === id));
    await report(a3again, { deploymentId: id, versionId: v.id });
    dep = await api.get({ id });
    assert.equal(dep.status, "complete");
    assert.ok(updates.some((u) => u.deploymentId === id && u.deviceId === null));
    const listed = await api.list({ versionId: v.id });
    assert.deepEqual(
      listed.map((x) => x.id),
      [id],
    );
  });

  test("a new version replaces the old on the same devices; rollback restores it; remove takes it away", async () => {
    const { versions } = await createModel(cp, { variants: ["fp32", "int8"] });
    const [v1, v2] = versions as [(typeof versions)[number], (typeof versions)[number]];
    const d = await enroll(cp, "rb-1");
    await setInventory(cp, d.id);
    const a = await agentFor(d);
    const api = cp.caller(staff).deployment;
    const target = { kind: "devices" as const, deviceIds: [d.id] };

    const first = await api.create({ versionId: v1.id, target });
    await report(a, { deploymentId: first.id, versionId: v1.id });
    assert.equal((await api.get({ id: first.id })).status, "complete");

    const second = await api.create({ versionId: v2.id, target });
    const afterSwap = await eventually(() => {
      const ids = lastDesired(a).map((m) => m.versionId);
      return ids.includes(v2.id) && !ids.includes(v1.id) ? ids : null;
    });
    assert.deepEqual(afterSwap, [v2.id]);
    assert.equal((await api.get({ id: first.id })).status, "replaced");
    assert.equal((await api.get({ id: second.id })).previousId, first.id);

    const rolled = await api.rollback({ id: second.id });
    assert.equal(rolled.status, "rolled_back");
    const restored = await api.get({ id: first.id });
    assert.equal(restored.status, "rolling_out");
    assert.deepEqual(
      restored.devices.map((x) => x.state),
      ["queued"],
    );
    await eventually(() => {
      const ids = lastDesired(a).map((m) => m.versionId);
      return ids.length === 1 && ids[0] === v1.id;
    });
    await report(a, { deploymentId: first.id, versionId: v1.id });
    assert.equal((await api.get({ id: first.id })).status, "complete");
    await rejectsWith(api.rollback({ id: first.id }), "CONFLICT", /no previous version/);
    // A late report for the rolled-back deployment does not bring it back.
    await report(a, { deploymentId: second.id, versionId: v2.id });
    assert.deepEqual(
      (await desiredModelsFor(cp.db, d.id)).map((m) => m.versionId),
      [v1.id],
    );

    const removed = await api.remove({ id: first.id });
    assert.equal(removed.status, "removed");
    assert.deepEqual(
      removed.devices.map((x) => x.state),
      ["removed"],
    );
    await eventually(() => a.desired.length > 0 && lastDesired(a).length === 0);
    await report(a, { deploymentId: first.id, versionId: v1.id });
    assert.equal((await api.get({ id: first.id })).devices[0]?.state, "removed", "a stale report is ignored");
  });

  test("a new version on some of an old deployment's devices leaves its other devices alone; rollback restores", async () => {
    const { versions } = await createModel(cp, { variants: ["fp32", "int8"] });
    const [v1, v2] = versions as [(typeof versions)[number], (typeof versions)[number]];
    const here = await enroll(cp, "part-1");
    const there = await enroll(cp, "part-2");
    for (const d of [here, there]) await setInventory(cp, d.id);
    const api = cp.caller(staff).deployment;
    const schoolWide = await api.create({
      versionId: v1.id,
      target: { kind: "devices", deviceIds: [here.id, there.id] },
    });
    // One room moves on to the new version (as a lab session's preparation does for its seats).
    const roomOnly = await api.create({ versionId: v2.id, target: { kind: "devices", deviceIds: [here.id] } });
    const old = await api.get({ id: schoolWide.id });
    assert.notEqual(old.status, "replaced", "the other devices still hold it");
    assert.deepEqual(Object.fromEntries(old.devices.map((x) => [x.deviceId, x.state])), {
      [here.id]: "removed",
      [there.id]: "queued",
    });
    const desired = async (id: string) => (await desiredModelsFor(cp.db, id)).map((m) => m.versionId);
    assert.deepEqual(await desired(there.id), [v1.id]);
    assert.deepEqual(await desired(here.id), [v2.id]);
    assert.equal((await api.get({ id: roomOnly.id })).previousId, schoolWide.id);

    await api.rollback({ id: roomOnly.id });
    assert.deepEqual(await desired(here.id), [v1.id], "the device the new version took gets the old one back");
    assert.deepEqual(await desired(there.id), [v1.id]);
  });

  test("the gate halts a rollout whose new wave is slower than the previous version by more than allowed", async () => {
    const { versions } = await createModel(cp, { variants: ["fp32", "int8"] });
    const [v1, v2] = versions as [(typeof versions)[number], (typeof versions)[number]];
    const devs: TestDevice[] = [];
    const agents: TestAgent[] = [];
    for (const n of ["g-1", "g-2"]) {
      const d = await enroll(cp, n);
      await setInventory(cp, d.id);
      await cp.db.prisma.device.update({ where: { id: d.id }, data: { tags: ["gate"] } });
      devs.push(d);
      agents.push(await agentFor(d));
    }
    const [d1, d2] = devs as [TestDevice, TestDevice];
    const [a1, a2] = agents as [TestAgent, TestAgent];
    const api = cp.caller(staff);
    const target = { kind: "tag" as const, tag: "gate" };

    // The previous version, deployed and benchmarked on g-1: p95 10 ms.
    const old = await api.deployment.create({ versionId: v1.id, target });
    await report(a1, { deploymentId: old.id, versionId: v1.id });
    await report(a2, { deploymentId: old.id, versionId: v1.id });
    const base = await api.run.start({
      versionId: v1.id,
      deviceId: d1.id,
      spec: { kind: "benchmark", iterations: 50 },
    });
    await reportFinished(a1, sign(runResult(base.id, d1.id, { p95: 10 }), d1.secret));

    const dep = await api.deployment.create({
      versionId: v2.id,
      target,
      strategy: { waves: 2, gate: { maxP95RegressionPct: 20, iterations: 30 } },
    });
    await report(a1, { deploymentId: dep.id, versionId: v2.id });
    // Wave 0 ready: the gate benchmarks the new version on it before wave 1 starts.
    const gateStart = await eventually(() => a1.starts.find((s) => s.versionId === v2.id));
    assert.equal(gateStart.spec.kind, "benchmark");
    assert.equal(gateStart.spec.iterations, 30);
    let view = await api.deployment.get({ id: dep.id });
    assert.equal(view.currentWave, 0);
    assert.match(view.statusReason ?? "", /running the gate/);
    const groupId = view.strategy.gateGroups["0"];
    assert.ok(groupId);

    await advanceAllDeployments({ db: cp.db, hub: cp.plane.hub });
    assert.equal(
      a1.starts.filter((s) => s.versionId === v2.id).length,
      1,
      "one gate run per wave, however often it is asked",
    );

    await reportFinished(a1, sign(runResult(gateStart.runId, d1.id, { p95: 15 }), d1.secret));
    view = await eventually(async () => {
      const v = await api.deployment.get({ id: dep.id });
      return v.status === "halted" ? v : null;
    });
    assert.match(view.statusReason ?? "", /p95 \+50\.0%.*more than the allowed 20%/);
    assert.deepEqual(
      view.devices.map((x) => [x.name, x.state]),
      [
        ["g-1", "ready"],
        ["g-2", "pending"],
      ],
    );
    assert.deepEqual(
      (await desiredModelsFor(cp.db, d2.id)).map((m) => m.versionId),
      [],
      "the halted rollout never reached wave 1 (and the old version was replaced there)",
    );
    assert.deepEqual(
      (await api.run.group({ id: groupId })).runs.map((r) => r.p95Ms),
      [15],
    );
  });

  test("a gate without a baseline passes and says so; an accuracy floor halts a weak model", async () => {
    const { versions } = await createModel(cp, { variants: ["a", "b"] });
    const [va, vb] = versions as [(typeof versions)[number], (typeof versions)[number]];
    const devs: TestDevice[] = [];
    const agents: TestAgent[] = [];
    for (const n of ["n-1", "n-2", "n-3", "n-4"]) {
      const d = await enroll(cp, n);
      await setInventory(cp, d.id);
      devs.push(d);
      agents.push(await agentFor(d));
    }
    const api = cp.caller(staff);
    const pass = await api.deployment.create({
      versionId: va.id,
      target: { kind: "devices", deviceIds: [devs[0]?.id as string, devs[1]?.id as string] },
      strategy: { waves: 2, gate: { maxP95RegressionPct: 10, iterations: 5 } },
    });
    const [a1, a2, a3, a4] = agents as [TestAgent, TestAgent, TestAgent, TestAgent];
    await report(a1, { deploymentId: pass.id, versionId: va.id });
    const s = await eventually(() => a1.starts.find((x) => x.versionId === va.id));
    await reportFinished(a1, sign(runResult(s.runId, devs[0]?.id as string, { p95: 50 }), devs[0]?.secret as string));
    let view = await eventually(async () => {
      const v = await api.deployment.get({ id: pass.id });
      return v.currentWave === 1 ? v : null;
    });
    assert.match(view.statusReason ?? "", /passed the gate: there was no baseline/);
    await report(a2, { deploymentId: pass.id, versionId: va.id });
    view = await api.deployment.get({ id: pass.id });
    assert.equal(view.status, "complete", "no gate after the last wave");

    const floor = await api.deployment.create({
      versionId: vb.id,
      target: { kind: "devices", deviceIds: [devs[2]?.id as string, devs[3]?.id as string] },
      strategy: { waves: 2, gate: { maxP95RegressionPct: 10, minAccuracy: 0.8, iterations: 5 } },
    });
    await report(a3, { deploymentId: floor.id, versionId: vb.id });
    const e = await eventually(() => a3.starts.find((x) => x.versionId === vb.id));
    assert.equal(e.spec.kind, "evaluation");
    await reportFinished(
      a3,
      sign(runResult(e.runId, devs[2]?.id as string, { accuracy: 0.61 }), devs[2]?.secret as string),
    );
    view = await eventually(async () => {
      const v = await api.deployment.get({ id: floor.id });
      return v.status === "halted" ? v : null;
    });
    assert.match(view.statusReason ?? "", /accuracy 0\.610 is below the floor of 0\.8/);
    void a4;
  });
});
