import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunUpdated } from "@labfleet/protocol";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { connectDashboard, type DashboardClient } from "../../testing/sockets.ts";
import { rejectsWith } from "../../testing/trpc-assert.ts";
import {
  connectTestAgent,
  createModel,
  enroll,
  reportFinished,
  runResult,
  sign,
  type TestAgent,
  type TestDevice,
} from "./test-kit.ts";
import { expireRuns, RUN_TIMEOUT_GRACE_MS } from "./timeouts.ts";

const spec = { kind: "benchmark" as const, iterations: 20 };

describe("runs: start, result, cancel, room-wide", () => {
  let cp: TestControlPlane;
  let staff: TestUser;
  let versionId: string;
  let labId: string;
  const devices: TestDevice[] = [];
  const agents: TestAgent[] = [];
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    cp = await startTestControlPlane();
    staff = await cp.user("instructor");
    const lab = await cp.caller(staff).lab.create({ name: "Room R", rows: 2, cols: 2 });
    labId = lab.id;
    versionId = (await createModel(cp)).versions[0]?.id as string;
    for (const name of ["seat-a1", "seat-a2", "seat-b1"]) devices.push(await enroll(cp, name, labId));
    // The first two are online; the third stays away.
    for (const d of devices.slice(0, 2)) {
      const a = await connectTestAgent(cp, d);
      agents.push(a);
      open.push(a);
    }
    await cp.db.prisma.seat.update({
      where: { labId_label: { labId, label: "A1" } },
      data: { deviceId: devices[0]?.id as string },
    });
  });
  after(async () => {
    for (const s of open) s.close();
    await cp.close();
  });

  const a0 = () => agents[0] as TestAgent;
  const d0 = () => devices[0] as TestDevice;

  test("a run goes to the agent, is accepted, and its signed result lands once with a valid signature", async () => {
    const dash: DashboardClient = await connectDashboard(cp.url, await cp.cookieFor(staff));
    open.push(dash);
    const updates: RunUpdated[] = [];
    dash.on("run:updated", (u) => updates.push(u));

    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    assert.equal(run.status, "running");
    assert.ok(run.startedAt instanceof Date);
    const start = a0().starts.at(-1);
    assert.equal(start?.runId, run.id);
    assert.equal(start?.versionId, versionId);
    assert.equal(start?.files.length, 2);
    assert.equal(start?.spec.iterations, 20);

    await a0().socket.emitWithAck("run:progress", {
      runId: run.id,
      phase: "measuring",
      done: 5,
      total: 20,
      elapsedMs: 100,
    });
    assert.equal((await cp.caller(staff).run.get({ id: run.id })).progress?.done, 5);

    const signed = sign(runResult(run.id, d0().id, { p95: 12.5, throughput: 95 }), d0().secret);
    assert.deepEqual(await reportFinished(a0(), signed), { ok: true, data: { stored: 1 } });
    const done = await cp.caller(staff).run.get({ id: run.id });
    assert.equal(done.status, "succeeded");
    assert.equal(done.signatureValid, true);
    assert.equal(done.p95Ms, 12.5);
    assert.equal(done.throughput, 95);
    assert.equal(done.result?.latencyMs?.p95, 12.5);
    const stored = await cp.db.prisma.agentEvent.findFirstOrThrow({
      where: { deviceId: d0().id, key: `run:${run.id}` },
    });
    assert.deepEqual(stored.data, {}, "the event row stays small: the result lives on the run");

    // The same event again (a replayed buffer after a restart): stored once, the run unchanged.
    const tampered = sign(runResult(run.id, d0().id, { p95: 99 }), d0().secret);
    assert.deepEqual(await reportFinished(a0(), tampered), { ok: true, data: { stored: 0 } });
    assert.deepEqual(await reportFinished(a0(), tampered, "another-key-1"), { ok: true, data: { stored: 1 } });
    const again = await cp.caller(staff).run.get({ id: run.id });
    assert.equal(again.p95Ms, 12.5, "a second result for an ended run changes nothing");
    assert.equal(again.finishedAt?.getTime(), done.finishedAt?.getTime());

    await eventually(() => updates.some((u) => u.runId === run.id && u.status === "succeeded"));
    assert.ok(
      updates.some((u) => u.runId === run.id && u.progress?.done === 5),
      "progress reached the dashboard",
    );
  });

  test("a result signed with the wrong key is stored with signatureValid false", async () => {
    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    const forged = sign(runResult(run.id, d0().id), "lfd_not-the-device-secret");
    await reportFinished(a0(), forged);
    const done = await cp.caller(staff).run.get({ id: run.id });
    assert.equal(done.status, "succeeded");
    assert.equal(done.signatureValid, false);

    // A result changed after signing does not verify either.
    const run2 = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    const good = sign(runResult(run2.id, d0().id, { p95: 10 }), d0().secret);
    await reportFinished(a0(), { ...good, throughputPerS: 10_000 });
    assert.equal((await cp.caller(staff).run.get({ id: run2.id })).signatureValid, false);
  });

  test("another device cannot finish a run that is not its own; an unknown run is ignored", async () => {
    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    const other = agents[1] as TestAgent;
    const d1 = devices[1] as TestDevice;
    await reportFinished(other, sign(runResult(run.id, d1.id), d1.secret));
    assert.equal((await cp.caller(staff).run.get({ id: run.id })).status, "running");
    const unknown = await reportFinished(other, sign(runResult("no-such-run", d1.id), d1.secret));
    assert.deepEqual(unknown, { ok: true, data: { stored: 1 } });
    await cp.caller(staff).run.cancel({ id: run.id });
  });

  test("a failed run keeps the runtime's reason and raises a workload_failed alert", async () => {
    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    const failed = runResult(run.id, d0().id, {
      status: "failed",
      error: { code: "RUNTIME_ERROR", message: "Unsupported ONNX opset 99" },
    });
    await reportFinished(a0(), sign(failed, d0().secret));
    const done = await cp.caller(staff).run.get({ id: run.id });
    assert.equal(done.status, "failed");
    assert.equal(done.errorCode, "RUNTIME_ERROR");
    assert.equal(done.errorMessage, "Unsupported ONNX opset 99");
    const alert = await eventually(() =>
      cp.db.prisma.alert.findFirst({ where: { deviceId: d0().id, kind: "workload_failed" } }),
    );
    assert.match(alert.message, /Unsupported ONNX opset 99/);
  });

  test("a refused or unanswered start fails the run with the reason; an offline device is refused", async () => {
    a0().answer = { ok: false, error: { code: "CONFLICT", message: "busy with another run" } };
    const refused = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    assert.equal(refused.status, "failed");
    assert.equal(refused.errorCode, "CONFLICT");
    assert.equal(refused.errorMessage, "busy with another run");

    a0().answer = "silent";
    const { startRun } = await import("./start.ts");
    const silentId = await startRun(
      { db: cp.db, hub: cp.plane.hub },
      { versionId, deviceId: d0().id, spec, userId: null },
      300,
    );
    const silent = await cp.caller(staff).run.get({ id: silentId });
    assert.equal(silent.status, "failed");
    assert.equal(silent.errorCode, "NO_ANSWER");
    a0().answer = { ok: true, data: { accepted: true } };

    await rejectsWith(
      cp.caller(staff).run.start({ versionId, deviceId: (devices[2] as TestDevice).id, spec }),
      "CONFLICT",
      /offline/,
    );
    await rejectsWith(
      cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec: { kind: "benchmark" } as never }),
      "BAD_REQUEST",
    );
    const student = await cp.user("student");
    await rejectsWith(cp.caller(student).run.start({ versionId, deviceId: d0().id, spec }), "FORBIDDEN");
    assert.deepEqual(await cp.caller(student).run.list({}), [], "a student sees only their own runs: none here");
  });

  test("cancel: the agent is told; its cancelled result ends the run; an ended run cannot be cancelled", async () => {
    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    await cp.caller(staff).run.cancel({ id: run.id });
    await eventually(() => a0().cancels.some((c) => c.runId === run.id));
    await reportFinished(a0(), sign(runResult(run.id, d0().id, { status: "cancelled" }), d0().secret));
    assert.equal((await cp.caller(staff).run.get({ id: run.id })).status, "cancelled");
    await rejectsWith(cp.caller(staff).run.cancel({ id: run.id }), "CONFLICT");
  });

  test("room run: every online device of the lab runs at once, the offline one is skipped; ranked and flagged", async () => {
    const room = await cp.caller(staff).run.startRoom({ versionId, labId, spec });
    assert.equal(room.runIds.length, 2);
    assert.deepEqual(room.skipped, [{ deviceId: devices[2]?.id, name: "seat-b1", reason: "offline" }]);
    for (const a of agents) assert.ok(a.starts.some((s) => room.runIds.includes(s.runId)));

    const runs = await cp.caller(staff).run.list({ groupId: room.groupId });
    const byDevice = new Map(runs.map((r) => [r.deviceId, r.id]));
    const d1 = devices[1] as TestDevice;
    // seat-a1 is faster but ran hot and throttled; seat-a2 is slower and cool.
    await reportFinished(
      a0(),
      sign(
        runResult(byDevice.get(d0().id) as string, d0().id, { throughput: 200, throttledShare: 0.3, cpuTempCMax: 91 }),
        d0().secret,
      ),
    );
    await reportFinished(
      agents[1] as TestAgent,
      sign(
        runResult(byDevice.get(d1.id) as string, d1.id, { throughput: 120, throttledShare: 0.01, cpuTempCMax: 70 }),
        d1.secret,
      ),
    );
    const group = await cp.caller(staff).run.group({ id: room.groupId });
    assert.equal(group.labName, "Room R");
    assert.deepEqual(
      group.runs.map((r) => [r.deviceName, r.rank, r.seatLabel, r.flags.throttled, r.flags.hot]),
      [
        ["seat-a1", 1, "A1", true, true],
        ["seat-a2", 2, null, false, false],
      ],
    );

    const compared = await cp.caller(staff).run.compare({ ids: [...room.runIds].reverse() });
    assert.deepEqual(
      compared.map((r) => r.id),
      [...room.runIds].reverse(),
    );
    assert.ok(compared.every((r) => r.result !== null));
    await rejectsWith(
      cp.caller(staff).run.compare({ ids: Array.from({ length: 11 }, (_, i) => `r${i}`) }),
      "BAD_REQUEST",
    );
  });

  test("a run whose device went offline is cancelled at once, or timed out after its timeout and a grace", async () => {
    const d1 = devices[1] as TestDevice;
    const a1 = agents[1] as TestAgent;
    const r1 = await cp.caller(staff).run.start({ versionId, deviceId: d1.id, spec: { ...spec, timeoutMs: 5_000 } });
    const r2 = await cp.caller(staff).run.start({ versionId, deviceId: d1.id, spec: { ...spec, timeoutMs: 5_000 } });
    a1.close();
    await eventually(() => !cp.plane.hub.isOnline(d1.id));
    await cp.caller(staff).run.cancel({ id: r1.id });
    assert.equal((await cp.caller(staff).run.get({ id: r1.id })).status, "cancelled");

    const deps = { db: cp.db, hub: cp.plane.hub };
    assert.equal(await expireRuns(deps, Date.now() + 5_000), 0, "still inside the grace");
    assert.equal(await expireRuns(deps, Date.now() + 5_000 + RUN_TIMEOUT_GRACE_MS + 1_000), 1);
    const timedOut = await cp.caller(staff).run.get({ id: r2.id });
    assert.equal(timedOut.status, "timed_out");
    assert.equal(timedOut.errorCode, "TIMED_OUT");
    assert.equal(await cp.plane.jobs.runNow("runs.expire-and-advance"), true, "the job is registered and runs");
    // Running on an online device is left to the agent's own timeout.
    const r3 = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec: { ...spec, timeoutMs: 5_000 } });
    await expireRuns(deps, Date.now() + 60 * 60_000);
    assert.equal((await cp.caller(staff).run.get({ id: r3.id })).status, "running");
  });

  test("a result buffered across a server restart still arrives, once", async () => {
    const run = await cp.caller(staff).run.start({ versionId, deviceId: d0().id, spec });
    await cp.stopServer();
    await cp.startServer();
    const back = await connectTestAgent(cp, d0());
    open.push(back);
    await eventually(() => back.desired.length > 0);
    const signed = sign(runResult(run.id, d0().id, { p95: 7 }), d0().secret);
    assert.deepEqual(await reportFinished(back, signed), { ok: true, data: { stored: 1 } });
    assert.deepEqual(await reportFinished(back, signed), { ok: true, data: { stored: 0 } });
    const done = await cp.caller(staff).run.get({ id: run.id });
    assert.equal(done.status, "succeeded");
    assert.equal(done.p95Ms, 7);
    assert.equal(done.signatureValid, true);
  });
});
