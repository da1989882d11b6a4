import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  type DeviceSnapshot,
  type DeviceSummary,
  type DevicesUpdated,
  PROTOCOL_VERSION,
} from "@labfleet/protocol";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import {
  type AgentClient,
  connectAgent,
  connectDashboard,
  type DashboardClient,
  nextEvent,
  sample,
} from "../testing/sockets.ts";

describe("/dashboard namespace", () => {
  let cp: TestControlPlane;
  let agent: AgentClient;
  let deviceId: string;
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 500, idleMs: 5000 });
    const { token } = await createEnrollmentToken(cp.db, { label: "t", expiresInHours: 1, maxUses: 1 }, null);
    const enrolled = await enrollDevice(cp.db, {
      token,
      hostname: "seat-a1",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "0.1.0",
    });
    deviceId = enrolled.deviceId;
    agent = await connectAgent(cp.url, { deviceId, secret: enrolled.deviceSecret });
    open.push(agent);
  });
  after(async () => {
    for (const s of open) s.close();
    await cp.close();
  });

  test("a browser without a session is refused; a student's may not watch the fleet, a lab or any device", async () => {
    const anonymous = await connectDashboard(cp.url, null).catch((e) => e);
    assert.equal(anonymous.data?.code, "UNAUTHORIZED");
    const student = await cp.user("student");
    const browser = await connectDashboard(cp.url, await cp.cookieFor(student));
    open.push(browser);
    const fleet = (await browser.emitWithAck("fleet:subscribe", {})) as Ack<DeviceSummary[]>;
    assert.equal(!fleet.ok && fleet.error.code, "FORBIDDEN");
    const device = (await browser.emitWithAck("device:subscribe", { deviceId })) as Ack<DeviceSnapshot>;
    assert.equal(!device.ok && device.error.code, "NOT_FOUND", "not checked in to it: the student cannot watch it");
  });

  test("one snapshot on subscribe, then live updates; agents report fast only while someone watches", async () => {
    const admin = await cp.user("admin");
    const browser: DashboardClient = await connectDashboard(cp.url, await cp.cookieFor(admin));
    open.push(browser);

    const fastConfig = nextEvent<{ telemetryIntervalMs: number }>(agent, "config:updated");
    const snapshot = (await browser.emitWithAck("fleet:subscribe", {})) as Ack<DeviceSummary[]>;
    assert.ok(snapshot.ok);
    const tile = snapshot.data.find((d) => d.id === deviceId);
    assert.equal(tile?.status, "online");
    assert.equal(tile?.name, "seat-a1");
    assert.equal((await fastConfig).telemetryIntervalMs, 500, "watched: the agent is asked for fast reports");

    // Summaries from samples come gathered: one event carries each device that reported at most once.
    const gathered: DevicesUpdated[] = [];
    const single: DeviceSummary[] = [];
    browser.on("devices:updated", (u) => gathered.push(u));
    browser.on("device:updated", (d) => single.push(d));
    await Promise.all(
      [77, 78].map((cpuLoadPct, i) =>
        agent.emitWithAck("telemetry:report", { samples: [sample(Date.now() + i, { cpuLoadPct })] }),
      ),
    );
    await eventually(() => gathered.flatMap((u) => u.devices).some((d) => d.latest?.cpuLoadPct === 78));
    for (const { devices } of gathered) {
      assert.deepEqual(
        devices.map((d) => d.id),
        [deviceId],
        "one summary per device per event",
      );
    }
    assert.equal(gathered.at(-1)?.devices[0]?.latest?.cpuLoadPct, 78, "the newest sample last");
    assert.deepEqual(single, [], "a sample alone is no single-device update");

    const detail = (await browser.emitWithAck("device:subscribe", { deviceId })) as Ack<DeviceSnapshot>;
    assert.ok(detail.ok);
    assert.equal(detail.data.recent.at(-1)?.cpuLoadPct, 78);
    const sampled = nextEvent<{ deviceId: string; sample: { cpuLoadPct: number } }>(browser, "telemetry:sampled");
    await agent.emitWithAck("telemetry:report", { samples: [sample(Date.now() + 1, { cpuLoadPct: 33 })] });
    assert.equal((await sampled).sample.cpuLoadPct, 33);

    const unknown = (await browser.emitWithAck("device:subscribe", { deviceId: "missing" })) as Ack<DeviceSnapshot>;
    assert.equal(!unknown.ok && unknown.error.code, "NOT_FOUND");
    const malformed = (await browser.emitWithAck("device:subscribe", { deviceId: 42 } as never)) as Ack<DeviceSnapshot>;
    assert.equal(!malformed.ok && malformed.error.code, "BAD_REQUEST");

    const slowConfig = nextEvent<{ telemetryIntervalMs: number }>(agent, "config:updated");
    browser.close();
    assert.equal((await slowConfig).telemetryIntervalMs, 5000, "nobody watches: back to the idle interval");
  });

  test("a device that disconnects is pushed to watchers as offline", async () => {
    const admin = await cp.user("admin");
    const browser = await connectDashboard(cp.url, await cp.cookieFor(admin));
    open.push(browser);
    await browser.emitWithAck("fleet:subscribe", {});
    const offline = nextEvent<DeviceSummary>(browser, "device:updated");
    agent.close();
    const u = await offline;
    assert.equal(u.id, deviceId);
    assert.equal(u.status, "offline");
    assert.ok(u.lastSeenAt && Date.now() - u.lastSeenAt < 10_000);
  });
});
