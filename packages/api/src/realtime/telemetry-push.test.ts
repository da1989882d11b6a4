import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { after, before, describe, test } from "node:test";
import { PROTOCOL_VERSION, type TelemetryPushed, type TelemetryRefused } from "@labfleet/protocol";
import { createLogger } from "../logger.ts";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, pushTelemetry, sample } from "../testing/sockets.ts";
import { EdgeCounters } from "./handle.ts";
import { MAX_PUSHES_WAITING, PushLanes } from "./telemetry-push.ts";

/** A device's socket as the lane sees it: what arrives, and what it answers, in order. */
function laneSocket() {
  const socket = new EventEmitter();
  const sent: Array<["pushed", TelemetryPushed] | ["refused", TelemetryRefused]> = [];
  const emit = (event: string, payload: unknown) => {
    if (event === "telemetry:pushed") sent.push(["pushed", payload as TelemetryPushed]);
    else if (event === "telemetry:refused") sent.push(["refused", payload as TelemetryRefused]);
    return true;
  };
  const push = (...args: unknown[]) => socket.emit("telemetry:push", ...args);
  return { socket: Object.assign(socket, { emit: socket.emit.bind(socket) }), sent, emit, push };
}

function deferred() {
  let resolve!: (n: number) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Samples of the last few minutes (a timestamp far from now is refused). */
const T = Date.now() - 300_000;
const settle = () => new Promise((r) => setImmediate(r));
const log = createLogger({ level: "silent" });

describe("PushLanes: numbering, order and answers", () => {
  const lanes: PushLanes[] = [];
  after(() => {
    for (const l of lanes) l.close();
  });
  /** A long interval: each test confirms by calling confirmAll itself. */
  const newLanes = () => {
    const counters = new EdgeCounters();
    const l = new PushLanes({ confirmMs: 60_000, counters });
    lanes.push(l);
    return { lanes: l, counters };
  };
  const attach = (l: PushLanes, store: (n: number) => Promise<number>) => {
    const s = laneSocket();
    let calls = 0;
    l.attach({ on: s.socket.on.bind(s.socket), emit: s.emit } as never, log, () => store(++calls));
    return s;
  };

  test("pushes are stored one after another and confirmed together, covering only what is handled", async () => {
    const { lanes } = newLanes();
    const waits = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const s = attach(lanes, (n) => {
      started.push(n);
      return (waits[n - 1] as ReturnType<typeof deferred>).promise;
    });
    for (let i = 0; i < 3; i++) s.push({ samples: [sample(T + 1_000 + i)] });
    await settle();
    assert.deepEqual(started, [1], "the second waits for the first");
    lanes.confirmAll();
    assert.deepEqual(s.sent, [], "nothing handled, nothing confirmed");
    waits[0]?.resolve(1);
    await settle();
    assert.deepEqual(started, [1, 2]);
    waits[1]?.resolve(0);
    await settle();
    lanes.confirmAll();
    assert.deepEqual(s.sent, [["pushed", { upTo: 2, stored: 1 }]]);
    waits[2]?.resolve(1);
    await settle();
    lanes.confirmAll();
    lanes.confirmAll();
    assert.deepEqual(s.sent.at(-1), ["pushed", { upTo: 3, stored: 1 }]);
    assert.equal(s.sent.length, 2, "nothing new, nothing sent");
  });

  test("a bad push is refused at once and still counted in the numbering", async () => {
    const { lanes, counters } = newLanes();
    const s = attach(lanes, async () => 1);
    s.push({ samples: [sample(T + 1)] });
    s.push({ samples: "not a list" });
    s.push({ samples: [sample(T + 3)] }, () => undefined);
    s.push({ samples: [sample(T + 4)] });
    await settle();
    lanes.confirmAll();
    assert.deepEqual(
      s.sent.map(([kind, p]) => [kind, "push" in p ? p.push : p.upTo, "error" in p ? p.error.code : p.stored]),
      [
        ["refused", 2, "BAD_REQUEST"],
        ["refused", 3, "BAD_REQUEST"],
        ["pushed", 4, 2],
      ],
    );
    assert.equal(counters.rejected.get("BAD_REQUEST"), 2);
  });

  test("a store that fails refuses its push with a coded error, before the confirmation that covers it", async () => {
    const { lanes } = newLanes();
    const s = attach(lanes, async (n) => {
      if (n === 1) throw new Error("connection terminated");
      return 1;
    });
    s.push({ samples: [sample(T + 1)] });
    s.push({ samples: [sample(T + 2)] });
    await settle();
    await settle();
    lanes.confirmAll();
    assert.deepEqual(s.sent, [
      [
        "refused",
        { push: 1, error: { code: "INTERNAL", message: "Something went wrong on the server. It has been logged." } },
      ],
      ["pushed", { upTo: 2, stored: 1 }],
    ]);
  });

  test(`beyond ${MAX_PUSHES_WAITING} pushes waiting, a device is told BUSY; nothing queues without bound`, async () => {
    const { lanes } = newLanes();
    const first = deferred();
    const s = attach(lanes, (n) => (n === 1 ? first.promise : Promise.resolve(1)));
    for (let i = 0; i < MAX_PUSHES_WAITING + 3; i++) s.push({ samples: [sample(T + i)] });
    await settle();
    const busy = s.sent.filter(([k, p]) => k === "refused" && "error" in p && p.error.code === "BUSY");
    assert.deepEqual(
      busy.map(([, p]) => ("push" in p ? p.push : 0)),
      [MAX_PUSHES_WAITING + 1, MAX_PUSHES_WAITING + 2, MAX_PUSHES_WAITING + 3],
    );
    first.resolve(1);
    await eventually(async () => {
      await settle();
      lanes.confirmAll();
      assert.deepEqual(s.sent.at(-1), ["pushed", { upTo: MAX_PUSHES_WAITING + 3, stored: MAX_PUSHES_WAITING }]);
      return true;
    });
  });

  test("each connection is confirmed at its own point of the period, not all at once", async () => {
    let now = 1_000_000;
    const phases = [0, 0.5];
    const l = new PushLanes({
      confirmMs: 1000,
      counters: new EdgeCounters(),
      now: () => now,
      random: () => phases.shift() ?? 0,
    });
    lanes.push(l);
    const a = attach(l, async () => 1);
    const b = attach(l, async () => 1);
    a.push({ samples: [sample(T + 1)] });
    b.push({ samples: [sample(T + 1)] });
    await settle();
    now += 499;
    l.confirmDue();
    assert.deepEqual([a.sent.length, b.sent.length], [0, 0], "neither period has run out");
    now += 1;
    l.confirmDue();
    assert.deepEqual([a.sent.length, b.sent.length], [0, 1], "the connection half a period in is confirmed first");
    now += 500;
    l.confirmDue();
    assert.deepEqual([a.sent.length, b.sent.length], [1, 1]);
  });

  test("a closed connection is not confirmed", async () => {
    const { lanes } = newLanes();
    const wait = deferred();
    const s = attach(lanes, () => wait.promise);
    s.push({ samples: [sample(T + 1)] });
    s.socket.emit("disconnect", "transport close");
    wait.resolve(1);
    await settle();
    lanes.confirmAll();
    assert.deepEqual(s.sent, []);
  });
});

describe("telemetry:push on a real control plane", () => {
  let cp: TestControlPlane;
  let off: TestControlPlane;
  const sockets: AgentClient[] = [];

  const enrolled = async (plane: TestControlPlane, hostname: string) => {
    const { token } = await createEnrollmentToken(plane.db, { label: "t", expiresInHours: 1, maxUses: 5 }, null);
    const d = await enrollDevice(plane.db, { token, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "1" });
    return { deviceId: d.deviceId, secret: d.deviceSecret };
  };
  const connect = async (plane: TestControlPlane, creds: { deviceId: string; secret: string }) => {
    const s = await connectAgent(plane.url, creds);
    sockets.push(s);
    await eventually(() => s.configs[0]);
    return s;
  };

  before(async () => {
    cp = await startTestControlPlane({ pushConfirmMs: 300 });
    off = await startTestControlPlane({ pushConfirmMs: 0 });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cp.close();
    await off.close();
  });

  test("the lane is offered on connect; pushes are stored and confirmed a few at a time", async () => {
    const creds = await enrolled(cp, "push-1");
    const s = await connect(cp, creds);
    assert.equal(s.configs[0]?.pushConfirmMs, 300);
    const confirmations: TelemetryPushed[] = [];
    s.on("telemetry:pushed", (p) => confirmations.push(p));
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 4; i++) s.emit("telemetry:push", { samples: [sample(t0 + i * 1000)] });
    // The same sample again: stored once, and the count says so.
    const last = await pushTelemetry(s, { samples: [sample(t0)] }, 5);
    assert.equal(last.ok, true);
    const stored = confirmations.reduce((n, c) => n + c.stored, 0);
    assert.equal(stored, 4);
    assert.ok(confirmations.length <= 2, `${confirmations.length} confirmations for 5 pushes`);
    const rows = await cp.db.pool.query<{ n: string }>("SELECT count(*) AS n FROM telemetry WHERE device_id = $1", [
      creds.deviceId,
    ]);
    assert.equal(rows.rows[0]?.n, "4");
  });

  test("a malformed push is refused with its number; the ones around it are stored", async () => {
    const creds = await enrolled(cp, "push-2");
    const s = await connect(cp, creds);
    const t0 = Date.now() - 30_000;
    s.emit("telemetry:push", { samples: [sample(t0)] });
    const bad = await pushTelemetry(s, { samples: [{ ...sample(t0 + 1000), cpuLoadPct: "high" }] }, 2);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, "BAD_REQUEST");
    const good = await pushTelemetry(s, { samples: [sample(t0 + 2000)] }, 3);
    assert.equal(good.ok, true);
    const rows = await cp.db.pool.query<{ ts: Date }>("SELECT ts FROM telemetry WHERE device_id = $1 ORDER BY ts", [
      creds.deviceId,
    ]);
    assert.deepEqual(
      rows.rows.map((r) => r.ts.getTime()),
      [t0, t0 + 2000],
    );
  });

  test("with confirmations turned off (0), the lane is neither offered nor taken", async () => {
    const creds = await enrolled(off, "push-3");
    const s = await connect(off, creds);
    assert.equal(s.configs[0]?.pushConfirmMs, undefined);
    await assert.rejects(pushTelemetry(s, { samples: [sample(Date.now())] }, 1, 600), /neither confirmed nor refused/);
    const rows = await off.db.pool.query("SELECT 1 FROM telemetry WHERE device_id = $1", [creds.deviceId]);
    assert.equal(rows.rowCount, 0);
  });
});
