import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AlertSummary } from "@labfleet/protocol";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { connectDashboard, type DashboardClient } from "../testing/sockets.ts";
import { raiseWorkloadFailed, resolveAlert } from "./alert.ts";
import { AlertEvaluator } from "./alert-evaluation.ts";
import { enrollTestDevice, type TestDevice } from "./alert-testkit.ts";
import { markSeen } from "./device.ts";

describe("alerts: evaluation and lifecycle", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let dashboard: DashboardClient;
  const events: AlertSummary[] = [];
  const devices: TestDevice[] = [];

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    dashboard = await connectDashboard(cp.url, await cp.cookieFor(admin));
    dashboard.on("alert:updated", (a) => events.push(a));
  });
  after(async () => {
    dashboard.close();
    for (const d of devices) d.disconnect();
    await cp.close();
  });

  const device = async (name: string) => {
    const d = await enrollTestDevice(cp, name);
    devices.push(d);
    await d.connect();
    return d;
  };
  const alertsOf = (deviceId: string, kind: string) =>
    cp.db.prisma.alert.findMany({ where: { deviceId, kind }, orderBy: { firedAt: "asc" } });

  test("95 °C held past 30 s fires exactly one alert; acknowledge, then it resolves when the CPU cools", async () => {
    const d = await device("hot-pc");
    const ev = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub });
    const t0 = Date.now();
    await d.report({ cpuTempC: 95 });

    assert.deepEqual(await ev.evaluate(t0), []);
    assert.deepEqual(await ev.evaluate(t0 + 29_000), [], "29 s is not yet 30 s");
    const fired = await ev.evaluate(t0 + 30_000);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]?.kind, "cpu_temp");
    assert.equal(fired[0]?.state, "firing");
    assert.equal(fired[0]?.value, 95);
    // Still hot: the open alert is not fired again.
    assert.deepEqual(await ev.evaluate(t0 + 35_000), []);
    assert.deepEqual(await ev.evaluate(t0 + 60_000), []);
    assert.equal((await alertsOf(d.deviceId, "cpu_temp")).length, 1);

    const live = await eventually(() => events.find((e) => e.deviceId === d.deviceId && e.state === "firing"));
    assert.equal(live.id, fired[0]?.id);

    const firing = await cp.caller(admin).alert.counts();
    assert.equal(firing.firing, 1);

    const acked = await cp.caller(admin).alert.acknowledge({ id: live.id });
    assert.equal(acked.state, "acknowledged");
    const me = await cp.db.prisma.user.findUniqueOrThrow({ where: { id: admin.id } });
    assert.equal(acked.acknowledgedBy, me.name);
    assert.ok(acked.acknowledgedAt);
    // Acknowledged but still hot: stays acknowledged, nothing new fires.
    assert.deepEqual(await ev.evaluate(t0 + 65_000), []);

    await d.report({ cpuTempC: 60 });
    const resolved = await ev.evaluate(t0 + 70_000);
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]?.state, "resolved");
    assert.equal(resolved[0]?.resolvedAt, t0 + 70_000);
    assert.equal(resolved[0]?.acknowledgedBy, me.name, "the acknowledgement is kept in the history");
    await eventually(() => events.find((e) => e.id === live.id && e.state === "resolved"));

    await assert.rejects(cp.caller(admin).alert.acknowledge({ id: live.id }), /already resolved/);
    const history = await cp.caller(admin).alert.list({ state: "resolved" });
    assert.ok(history.some((a) => a.id === live.id));
  });

  test("a condition that clears in between starts counting again", async () => {
    const d = await device("flaky-pc");
    const ev = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub });
    const t0 = Date.now();
    await d.report({ cpuTempC: 92 });
    await ev.evaluate(t0);
    await d.report({ cpuTempC: 80 });
    await ev.evaluate(t0 + 20_000);
    await d.report({ cpuTempC: 93 });
    assert.deepEqual(await ev.evaluate(t0 + 25_000), []);
    assert.deepEqual(await ev.evaluate(t0 + 50_000), [], "only 25 s since it got hot again");
    const fired = await ev.evaluate(t0 + 55_000);
    assert.deepEqual(
      fired.map((a) => a.kind),
      ["cpu_temp"],
    );
  });

  test("a device silent for 60 s fires an offline alert, resolved when it comes back", async () => {
    const d = await enrollTestDevice(cp, "gone-pc");
    devices.push(d);
    const ev = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub });
    const t0 = Date.now();
    await markSeen(cp.db, d.deviceId, new Date(t0));
    assert.deepEqual(await ev.evaluate(t0 + 59_000), []);
    const fired = await ev.evaluate(t0 + 61_000);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]?.kind, "offline");
    assert.equal(fired[0]?.deviceId, d.deviceId);
    assert.equal(fired[0]?.value, 61);
    assert.deepEqual(await ev.evaluate(t0 + 120_000), [], "one open alert per device and kind");

    // A restarted server gives agents time to reconnect: nothing new fires in its first minute, and the alert
    // that is already open is not resolved by the restart.
    const quiet = await enrollTestDevice(cp, "quiet-pc");
    devices.push(quiet);
    await markSeen(cp.db, quiet.deviceId, new Date(t0));
    const restarted = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub }, { startedAt: t0 + 200_000 });
    assert.deepEqual(await restarted.evaluate(t0 + 230_000), []);
    const afterGrace = await restarted.evaluate(t0 + 260_000);
    assert.deepEqual(
      afterGrace.map((a) => [a.deviceId, a.kind, a.value]),
      [[quiet.deviceId, "offline", 260]],
    );

    await d.connect();
    const resolved = await ev.evaluate(t0 + 265_000);
    assert.deepEqual(
      resolved.map((a) => [a.kind, a.state]),
      [["offline", "resolved"]],
    );
  });

  test("a lab's rule overrides the default threshold for its devices only", async () => {
    const lab = await cp.db.prisma.lab.create({ data: { name: "Room 101" } });
    const inLab = await device("lab-pc");
    const outside = await device("other-pc");
    await cp.db.prisma.device.update({ where: { id: inLab.deviceId }, data: { labId: lab.id } });
    const api = cp.caller(admin);
    await api.alertRule.update({ labId: lab.id, kind: "cpu_temp", threshold: 70, forS: 0, enabled: true });
    const rules = await api.alertRule.list({ labId: lab.id });
    assert.deepEqual(
      rules.find((r) => r.kind === "cpu_temp"),
      { kind: "cpu_temp", threshold: 70, forS: 0, enabled: true, source: "lab" },
    );
    assert.equal((await api.alertRule.list({ labId: null })).find((r) => r.kind === "cpu_temp")?.threshold, 90);
    await assert.rejects(
      api.alertRule.update({ labId: lab.id, kind: "cpu_temp", threshold: 500, forS: 0, enabled: true }),
      /between/,
    );

    const ev = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub });
    await inLab.report({ cpuTempC: 75 });
    await outside.report({ cpuTempC: 75 });
    // Only these two devices matter here (the evaluation covers the whole fleet of this suite).
    const mine = (list: AlertSummary[]) =>
      list.filter((a) => a.deviceId === inLab.deviceId || a.deviceId === outside.deviceId);
    const fired = mine(await ev.evaluate(Date.now()));
    assert.deepEqual(
      fired.map((a) => [a.deviceId, a.kind, a.labId]),
      [[inLab.deviceId, "cpu_temp", lab.id]],
    );

    // Turning the lab's rule off resolves what it fired; resetting brings back the default (90 °C).
    await api.alertRule.update({ labId: lab.id, kind: "cpu_temp", threshold: 70, forS: 0, enabled: false });
    const off = mine(await ev.evaluate(Date.now()));
    assert.deepEqual(
      off.map((a) => [a.deviceId, a.state]),
      [[inLab.deviceId, "resolved"]],
    );
    await api.alertRule.reset({ labId: lab.id, kind: "cpu_temp" });
    assert.equal((await api.alertRule.list({ labId: lab.id })).find((r) => r.kind === "cpu_temp")?.source, "builtin");
    assert.deepEqual(mine(await ev.evaluate(Date.now())), []);
  });

  test("disk and memory rules read the sample's used/total", async () => {
    const d = await device("full-pc");
    const ev = new AlertEvaluator({ db: cp.db, hub: cp.plane.hub });
    const gib = 1024 ** 3;
    await d.report({ diskUsedBytes: 95 * gib, diskTotalBytes: 100 * gib, memUsedBytes: Math.round(7.84 * gib) });
    const t0 = Date.now();
    const now = await ev.evaluate(t0);
    assert.deepEqual(
      now.filter((a) => a.deviceId === d.deviceId).map((a) => a.kind),
      ["disk_full"],
      "disk fires at once; memory (97.5 %) must hold 60 s",
    );
    const later = await ev.evaluate(t0 + 60_000);
    assert.deepEqual(
      later.filter((a) => a.deviceId === d.deviceId).map((a) => [a.kind, Math.round(a.value ?? 0)]),
      [["memory_high", 98]],
    );
  });

  test("raiseWorkloadFailed keeps one open alert per device until it is resolved", async () => {
    const d = await enrollTestDevice(cp, "runner-pc");
    const deps = { db: cp.db, hub: cp.plane.hub };
    const first = await raiseWorkloadFailed(deps, d.deviceId, "Run 12 exited with code 137 (out of memory).");
    assert.equal(first?.kind, "workload_failed");
    assert.equal(first?.message, "Run 12 exited with code 137 (out of memory).");
    assert.equal(await raiseWorkloadFailed(deps, d.deviceId, "Run 13 failed."), null);
    await eventually(() => events.find((e) => e.id === first?.id));

    // Two at the same time still give one open alert (the check and insert are serialised per device and kind).
    const again = await Promise.all([
      resolveAlert(deps, first?.id ?? "", Date.now()).then(() => raiseWorkloadFailed(deps, d.deviceId, "a")),
    ]);
    assert.ok(again[0]);
    const both = await Promise.all([
      raiseWorkloadFailed(deps, d.deviceId, "b"),
      raiseWorkloadFailed(deps, d.deviceId, "c"),
    ]);
    assert.equal(both.filter(Boolean).length, 0, "one is already open");
    const open = await cp.db.prisma.alert.count({
      where: { deviceId: d.deviceId, kind: "workload_failed", state: { in: ["firing", "acknowledged"] } },
    });
    assert.equal(open, 1);
    await assert.rejects(raiseWorkloadFailed(deps, "no-such-device", "x"), /does not exist/);
  });
});
