import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  type AgentEventInput,
  type InventoryInput,
  LIMITS,
  PROTOCOL_VERSION,
  type TelemetryReportAck,
} from "@labfleet/protocol";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, nextEvent, sample } from "../testing/sockets.ts";

const inventory: InventoryInput = {
  hostname: "lab-pc-07",
  system: { manufacturer: "ACME", model: "Mini 1" },
  os: { platform: "linux", distro: "Debian", release: "12", kernel: "6.1.0", arch: "x64" },
  cpu: {
    manufacturer: "Intel",
    brand: "Core i5",
    cores: 2,
    physicalCores: 2,
    speedGHz: 2.4,
    speedMaxGHz: 3.1,
    flags: ["avx2"],
  },
  memory: { totalBytes: 8 * 1024 ** 3 },
  disks: [],
  gpus: [],
  network: [],
  agent: { version: "0.1.0", nodeVersion: "v20.20.2" },
};

describe("/agent namespace", () => {
  let cp: TestControlPlane;
  let creds: { deviceId: string; secret: string };
  const sockets: AgentClient[] = [];

  before(async () => {
    cp = await startTestControlPlane();
    const { token } = await createEnrollmentToken(cp.db, { label: "t", expiresInHours: 1, maxUses: 10 }, null);
    const enrolled = await enrollDevice(cp.db, {
      token,
      hostname: "lab-pc-07",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "0.1.0",
    });
    creds = { deviceId: enrolled.deviceId, secret: enrolled.deviceSecret };
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cp.close();
  });

  const connect = async (auth: Record<string, unknown> = creds) => {
    const s = await connectAgent(cp.url, auth);
    sockets.push(s);
    return s;
  };
  const stored = async () =>
    Number(
      (await cp.db.pool.query("SELECT count(*) FROM telemetry WHERE device_id = $1", [creds.deviceId])).rows[0].count,
    );

  test("a wrong secret, an unknown device and a foreign protocol version are refused with a reason", async () => {
    const wrong = await connect({ ...creds, secret: "lfd_wrong" }).catch((e) => e);
    assert.equal(wrong.data?.code, "BAD_CREDENTIAL");
    const unknown = await connect({ deviceId: "nope", secret: creds.secret }).catch((e) => e);
    assert.equal(unknown.data?.code, "BAD_CREDENTIAL");
    const missing = await connect({ deviceId: creds.deviceId }).catch((e) => e);
    assert.equal(missing.data?.code, "BAD_REQUEST");
    const foreign = await connect({ ...creds, protocolVersion: 99 }).catch((e) => e);
    assert.equal(foreign.data?.code, "PROTOCOL_MISMATCH");
    assert.match(foreign.data?.message, /version 1\b.*version 99\b/);
  });

  test("inventory and telemetry are stored; a replayed batch is stored once", async () => {
    const agent = await connect();
    const config = await eventually(() => agent.configs[0]);
    assert.equal(config.telemetryIntervalMs, 1000, "idle interval while nobody watches");

    const inv = (await agent.emitWithAck("inventory:report", inventory)) as Ack<{ changed: boolean }>;
    assert.deepEqual(inv, { ok: true, data: { changed: true } });
    const again = (await agent.emitWithAck("inventory:report", inventory)) as Ack<{ changed: boolean }>;
    assert.deepEqual(again, { ok: true, data: { changed: false } });
    const device = await cp.db.prisma.device.findUniqueOrThrow({ where: { id: creds.deviceId } });
    assert.equal((device.inventory as { cpu: { brand: string } }).cpu.brand, "Core i5");
    assert.equal(device.simulated, false);

    const t0 = Date.now();
    const batch = { samples: [sample(t0), sample(t0 + 1000), sample(t0 + 2000)] };
    const first = (await agent.emitWithAck("telemetry:report", batch)) as Ack<TelemetryReportAck>;
    assert.deepEqual(first, { ok: true, data: { stored: 3 } });
    const replay = (await agent.emitWithAck("telemetry:report", batch)) as Ack<TelemetryReportAck>;
    assert.deepEqual(replay, { ok: true, data: { stored: 0 } });
    assert.equal(await stored(), 3);
    assert.equal(cp.plane.hub.isOnline(creds.deviceId), true);
  });

  test("agent events are stored once each, however often they are replayed", async () => {
    const agent = await connect();
    const events: AgentEventInput[] = [
      { key: "evt-00000001", ts: Date.now(), kind: "agent.started", data: {} },
      { key: "evt-00000002", ts: Date.now(), kind: "buffer.loss", data: { droppedSamples: 12 } },
    ];
    assert.deepEqual(await agent.emitWithAck("events:report", { events }), { ok: true, data: { stored: 2 } });
    assert.deepEqual(await agent.emitWithAck("events:report", { events }), { ok: true, data: { stored: 0 } });
    const bad = (await agent.emitWithAck("events:report", {
      events: [{ ...events[0], kind: "made.up" }],
    } as never)) as Ack<unknown>;
    assert.equal(!bad.ok && bad.error.code, "BAD_REQUEST");
    const rows = await cp.db.prisma.agentEvent.findMany({
      where: { deviceId: creds.deviceId },
      orderBy: { key: "asc" },
    });
    assert.deepEqual(
      rows.map((r) => [r.key, r.kind, r.data]),
      [
        ["evt-00000001", "agent.started", {}],
        ["evt-00000002", "buffer.loss", { droppedSamples: 12 }],
      ],
    );
  });

  test("malformed, oversized and ack-less events are refused, counted, stored nowhere, and the socket lives on", async () => {
    const agent = await connect();
    const before = await stored();
    const rejectedBefore = cp.plane.counters.total();

    const bad = (await agent.emitWithAck("telemetry:report", {
      samples: [{ ...sample(Date.now()), cpuLoadPct: 400 }],
    })) as Ack<unknown>;
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, "BAD_REQUEST");
    assert.match(!bad.ok ? bad.error.message : "", /cpuLoadPct/);

    const wrongType = (await agent.emitWithAck("telemetry:report", "not an object" as never)) as Ack<unknown>;
    assert.equal(!wrongType.ok && wrongType.error.code, "BAD_REQUEST");

    // ~400 KB: over the event limit, under socket.io's own transport cap, so the server answers instead of hanging up.
    const wide = sample(Date.now(), { cpuPerCorePct: new Array(LIMITS.maxCores).fill(50.123456789) });
    const overLimit = (await agent.emitWithAck("telemetry:report", {
      samples: new Array(30).fill(wide),
    })) as Ack<unknown>;
    assert.equal(!overLimit.ok && overLimit.error.code, "PAYLOAD_TOO_LARGE");

    // The size is the packet's as it arrived (the measuring parser), not the payload serialised again: a payload a
    // few bytes under the limit on its own is over it once the packet's header (type, ack id, event name) counts.
    const pad = { pad: "" };
    pad.pad = "x".repeat(LIMITS.maxEventBytes - Buffer.byteLength(JSON.stringify(pad)) - 4);
    assert.ok(Buffer.byteLength(JSON.stringify(pad)) < LIMITS.maxEventBytes);
    const withHeader = (await agent.emitWithAck("telemetry:report", pad as never)) as Ack<unknown>;
    assert.equal(!withHeader.ok && withHeader.error.code, "PAYLOAD_TOO_LARGE");

    // Text the database cannot store, as escapes in the packet: refused whole. (A packet without any `\u` escape
    // skips that check; these must not.)
    for (const text of ["nvme\u0000", "nvme\ud800", "\udc00"]) {
      const unstorable = (await agent.emitWithAck("telemetry:report", {
        samples: [sample(Date.now(), { hottestSensor: text })],
      })) as Ack<unknown>;
      assert.equal(!unstorable.ok && unstorable.error.code, "BAD_REQUEST", JSON.stringify(text));
      assert.match(!unstorable.ok ? unstorable.error.message : "", /samples\.0\.hottestSensor/);
    }
    const escaped = (await agent.emitWithAck("telemetry:report", {
      // JSON writes U+0001 as an escape: the packet is walked, and the text is storable.
      samples: [sample(Date.now() + 5000, { hottestSensor: "nvme\u0001 é😀" })],
    })) as Ack<TelemetryReportAck>;
    assert.deepEqual(escaped, { ok: true, data: { stored: 1 } }, "escaped text that is whole is stored");

    // An event without an ack callback: refused and counted, not stored.
    (agent as unknown as { emit(event: string, payload: unknown): void }).emit("telemetry:report", {
      samples: [sample(Date.now())],
    });

    const good = (await agent.emitWithAck("telemetry:report", {
      samples: [sample(Date.now() + 10_000)],
    })) as Ack<TelemetryReportAck>;
    assert.deepEqual(good, { ok: true, data: { stored: 1 } }, "the connection still works");
    assert.equal(await stored(), before + 2, "nothing of the bad events was stored");
    assert.ok(cp.plane.counters.total() >= rejectedBefore + 8);
    assert.ok((cp.plane.counters.rejected.get("PAYLOAD_TOO_LARGE") ?? 0) >= 1);
  });

  test("a revoked device is cut off at once and cannot come back", async () => {
    const agent = await connect();
    await eventually(() => agent.configs[0]);
    const admin = await cp.user("admin");
    const revokedEvent = nextEvent<{ reason: string }>(agent, "device:revoked");
    const disconnected = nextEvent<string>(agent, "disconnect");
    await cp.caller(admin).device.revoke({ id: creds.deviceId });
    assert.match((await revokedEvent).reason, /revoked/);
    assert.equal(await disconnected, "io server disconnect");
    await eventually(() => !cp.plane.hub.isOnline(creds.deviceId));
    const again = await connect().catch((e) => e);
    assert.equal(again.data?.code, "DEVICE_REVOKED");
    const listed = (await cp.caller(admin).device.list()).find((d) => d.id === creds.deviceId);
    assert.equal(listed?.status, "revoked");
  });
});
