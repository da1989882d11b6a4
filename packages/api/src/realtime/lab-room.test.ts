import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  type DeviceSummary,
  type DevicesUpdated,
  type LabSnapshot,
  PROTOCOL_VERSION,
} from "@labfleet/protocol";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, connectDashboard, nextEvent, sample } from "../testing/sockets.ts";

describe("lab room on the /dashboard namespace", () => {
  let cp: TestControlPlane;
  const open: Array<{ close(): unknown }> = [];

  async function enrolledAgent(hostname: string): Promise<{ id: string; agent: AgentClient }> {
    const { token } = await createEnrollmentToken(cp.db, { label: hostname, expiresInHours: 1, maxUses: 1 }, null);
    const e = await enrollDevice(cp.db, { token, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "0.1.0" });
    const agent = await connectAgent(cp.url, { deviceId: e.deviceId, secret: e.deviceSecret });
    open.push(agent);
    return { id: e.deviceId, agent };
  }

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 1000, idleMs: 30_000 });
  });
  after(async () => {
    for (const s of open) s.close();
    await cp.close();
  });

  test("snapshot on subscribe, deltas for the lab's devices only, 1 s reports while the lab is watched", async () => {
    // The admin places devices that nobody has put in a lab yet.
    const admin = await cp.user("admin");
    const api = cp.caller(admin);
    const lab = await api.lab.create({ name: "Room 7", rows: 2, cols: 2 });
    const inLab = await enrolledAgent("seat-b2");
    const elsewhere = await enrolledAgent("hall-pc");
    await api.lab.placeDevice({ labId: lab.id, seatLabel: "B2", deviceId: inLab.id });
    await inLab.agent.emitWithAck("telemetry:report", { samples: [sample(Date.now() - 5, { cpuTempC: 91 })] });

    const browser = await connectDashboard(cp.url, await cp.cookieFor(admin));
    open.push(browser);
    const fast = nextEvent<{ telemetryIntervalMs: number }>(inLab.agent, "config:updated");
    const res = (await browser.emitWithAck("lab:subscribe", { labId: lab.id })) as Ack<LabSnapshot>;
    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.data.lab.name, "Room 7");
    assert.equal(res.data.lab.hotTempC, 85);
    assert.deepEqual(
      res.data.seats.map((s) => [s.label, s.deviceId]),
      [
        ["A1", null],
        ["A2", null],
        ["B1", null],
        ["B2", inLab.id],
      ],
    );
    assert.deepEqual(
      res.data.devices.map((d) => [d.id, d.status, d.latest?.cpuTempC]),
      [[inLab.id, "online", 91]],
    );
    assert.equal((await fast).telemetryIntervalMs, 1000, "a watched lab's device reports every second");
    assert.deepEqual(elsewhere.agent.configs.at(-1)?.telemetryIntervalMs, 30_000, "others stay slow");

    // Only the lab's devices reach a browser that watches only the lab.
    const seen: DeviceSummary[] = [];
    browser.on("device:updated", (d) => seen.push(d));
    browser.on("devices:updated", ({ devices }) => seen.push(...devices));
    const delta = nextEvent<DevicesUpdated>(browser, "devices:updated");
    await elsewhere.agent.emitWithAck("telemetry:report", { samples: [sample(Date.now(), { cpuLoadPct: 5 })] });
    await inLab.agent.emitWithAck("telemetry:report", { samples: [sample(Date.now(), { cpuLoadPct: 64 })] });
    const { devices } = await delta;
    assert.deepEqual(
      devices.map((d) => [d.id, d.latest?.cpuLoadPct]),
      [[inLab.id, 64]],
    );
    // The other device's summary went out in the same flush, to the rooms that watch it: none of this browser's.
    await browser.emitWithAck("lab:subscribe", { labId: lab.id });
    assert.ok(
      seen.every((s) => s.id === inLab.id),
      "no update of a device outside the lab",
    );

    // Placing another device in the lab tells the watchers, and that device speeds up too.
    const changed = nextEvent<{ labId: string }>(browser, "lab:changed");
    const elsewhereFast = nextEvent<{ telemetryIntervalMs: number }>(elsewhere.agent, "config:updated");
    await api.lab.placeDevice({ labId: lab.id, seatLabel: "A1", deviceId: elsewhere.id });
    assert.equal((await changed).labId, lab.id);
    assert.equal((await elsewhereFast).telemetryIntervalMs, 1000);

    const unknown = (await browser.emitWithAck("lab:subscribe", { labId: "missing" })) as Ack<LabSnapshot>;
    assert.equal(!unknown.ok && unknown.error.code, "NOT_FOUND");
    const malformed = (await browser.emitWithAck("lab:subscribe", { labId: 7 } as never)) as Ack<LabSnapshot>;
    assert.equal(!malformed.ok && malformed.error.code, "BAD_REQUEST");

    const slow = nextEvent<{ telemetryIntervalMs: number }>(inLab.agent, "config:updated");
    const left = (await browser.emitWithAck("lab:unsubscribe", { labId: lab.id })) as Ack<null>;
    assert.ok(left.ok);
    assert.equal((await slow).telemetryIntervalMs, 30_000, "nobody watches the lab: back to idle");
  });

  test("a replayed offline buffer is noted for the roll-up job", async () => {
    const { id, agent } = await enrolledAgent("replayer");
    const oldTs = Date.now() - 20 * 60_000;
    await agent.emitWithAck("telemetry:report", { samples: [sample(oldTs, { aggregatedCount: 10 })] });
    const note = await eventually(async () => {
      const r = await cp.db.pool.query<{ value: string }>(`SELECT "value" FROM "setting" WHERE "key" = $1`, [
        `rollup.late:${id}`,
      ]);
      return r.rows[0];
    });
    assert.equal(Number(note.value), oldTs);
  });
});
