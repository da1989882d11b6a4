import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@labfleet/db/test-db";
import { AGENT_NAMESPACE, type AgentConfig, PROTOCOL_VERSION, type RunCancel } from "@labfleet/protocol";
import { createClient } from "redis";
import { createAuth } from "../auth.ts";
import { type ControlPlane, createControlPlane } from "../control-plane.ts";
import { freePort } from "../integration/faults-kit.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { createUser } from "../services/users.ts";
import { eventually } from "../testing/harness.ts";
import { type AgentClient, connectAgent, connectDashboard, type DashboardClient } from "../testing/sockets.ts";
import { deviceRoom } from "./hub.ts";

/** DB 1 belongs to the scale-out tests; channels ignore the DB number, so each run has its own prefix too. */
const REDIS_URL = process.env.LABFLEET_SCALE_REDIS_URL ?? "redis://127.0.0.1:6379/1";

async function redisSkipReason(url = REDIS_URL): Promise<string | false> {
  const client = createClient({ url, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (e) {
    return `Redis at ${url} is not reachable (${(e as Error).message}); set LABFLEET_SCALE_REDIS_URL`;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

async function signInCookie(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
    body: JSON.stringify({ email, password }),
  });
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

describe("two control planes on one Redis", { skip: await redisSkipReason() }, () => {
  let database: TestDatabase;
  let modelsDir: string;
  let a: ControlPlane;
  let b: ControlPlane;
  let urlA: string;
  let urlB: string;
  let db: Db;
  let creds: { deviceId: string; secret: string };
  let cookie: string;
  const prefix = `lf-scaleout-unit-${randomBytes(4).toString("hex")}`;
  const clients: Array<AgentClient | DashboardClient> = [];

  const plane = async (auth: ReturnType<typeof createAuth>) => {
    const p = createControlPlane({
      db,
      auth,
      modelsDir,
      intervals: { watchedMs: 250, idleMs: 60_000 },
      redis: { url: REDIS_URL, prefix, refreshMs: 500 },
    });
    await new Promise<void>((resolve) => p.httpServer.listen(0, "127.0.0.1", () => resolve()));
    return { p, url: `http://127.0.0.1:${(p.httpServer.address() as AddressInfo).port}` };
  };

  before(async () => {
    database = await createTestDatabase();
    modelsDir = await mkdtemp(path.join(tmpdir(), "labfleet-models-"));
    db = { prisma: database.prisma, pool: database.pool, log: createLogger({ level: "silent" }) };
    const auth = createAuth({
      prisma: db.prisma,
      secret: "scale-out-unit-secret-0123456789abcdef",
      baseURL: "http://127.0.0.1",
    });
    ({ p: a, url: urlA } = await plane(auth));
    ({ p: b, url: urlB } = await plane(auth));
    const { token } = await createEnrollmentToken(db, { label: "t", expiresInHours: 1, maxUses: 5 }, null);
    const enrolled = await enrollDevice(db, {
      token,
      hostname: "pc",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "t",
    });
    creds = { deviceId: enrolled.deviceId, secret: enrolled.deviceSecret };
    await createUser(auth, { email: "staff@example.test", password: "password-staff-1", name: "S", role: "admin" });
    cookie = await signInCookie(urlB, "staff@example.test", "password-staff-1");
  });

  after(async () => {
    for (const c of clients) c.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    for (const p of [a, b]) p?.httpServer.closeAllConnections();
    await database.close();
    await rm(modelsDir, { recursive: true, force: true });
    const redis = createClient({ url: REDIS_URL });
    redis.on("error", () => undefined);
    await redis.connect();
    for await (const key of redis.scanIterator({ MATCH: `${prefix}:*` })) await redis.del(key);
    await redis.quit();
  });

  test("commands from B reach the agent on A: run:start with its ack, run:cancel, models:desired, config", async () => {
    const agent = await connectAgent(urlA, creds);
    clients.push(agent);
    await eventually(() => b.hub.isOnline(creds.deviceId), 10_000);
    assert.equal(b.hub.onlineCount(), 1, "B counts the device on A");

    const started: unknown[] = [];
    agent.on("run:start", (payload, ack) => {
      started.push(payload);
      ack({ ok: true, data: { accepted: true } });
    });
    const payload = { runId: "run-1" } as never;
    const answer = await b.hub.startRunOnAgent(creds.deviceId, payload, 5_000);
    assert.deepEqual(answer, { ok: true, data: { accepted: true } }, "the agent's ack comes back to B");
    assert.deepEqual(started, [{ runId: "run-1" }]);

    const cancelled = new Promise<RunCancel>((resolve) => agent.once("run:cancel", resolve));
    assert.equal(b.hub.cancelRunOnAgent(creds.deviceId, { runId: "run-1" }), true);
    assert.deepEqual(await cancelled, { runId: "run-1" });

    const desired = new Promise<unknown>((resolve) => agent.once("models:desired", resolve));
    await b.hub.sendDesiredModels(creds.deviceId);
    assert.deepEqual(await desired, { models: [] });

    // A dashboard on B watching the device speeds it up on A: the watch crosses processes.
    const fast = new Promise<AgentConfig>((resolve) =>
      agent.on("config:updated", (c) => {
        if (c.telemetryIntervalMs === 250) resolve(c);
      }),
    );
    const dash = await connectDashboard(urlB, cookie);
    clients.push(dash);
    const snap = (await dash.emitWithAck("device:subscribe", { deviceId: creds.deviceId })) as {
      ok: boolean;
      data?: { device: { status: string } };
    };
    assert.equal(snap.data?.device.status, "online");
    assert.equal((await fast).telemetryIntervalMs, 250);

    // Fleet-wide news published on A reaches the staff dashboard on B.
    const deployment = new Promise<unknown>((resolve) => dash.once("deployment:updated", resolve));
    const session = new Promise<unknown>((resolve) => dash.once("session:updated", resolve));
    a.hub.publishDeployment({ deploymentId: "dep-1", deviceId: null });
    a.hub.publishSession("session-1", []);
    assert.deepEqual(await deployment, { deploymentId: "dep-1", deviceId: null });
    assert.deepEqual(await session, { sessionId: "session-1" });

    // A device connected nowhere: refused at once, not after a timeout.
    await assert.rejects(b.hub.startRunOnAgent("no-such-device", payload, 5_000), /offline/);

    agent.close();
    await eventually(() => !b.hub.isOnline(creds.deviceId), 10_000);
    assert.equal(b.hub.onlineCount(), 0);
  });

  test("a revocation on B cuts the device off on A, with the reason first", async () => {
    const agent = await connectAgent(urlA, creds);
    clients.push(agent);
    await eventually(() => b.hub.isOnline(creds.deviceId), 10_000);
    const events: string[] = [];
    agent.on("device:revoked", ({ reason }) => events.push(`revoked: ${reason}`));
    const closed = new Promise<void>((resolve) => agent.once("disconnect", () => resolve()));
    b.hub.disconnectDevice(creds.deviceId, "gone");
    await closed;
    assert.deepEqual(events, ["revoked: gone"]);
    await eventually(() => !a.hub.isOnline(creds.deviceId) && !b.hub.isOnline(creds.deviceId), 10_000);
  });
});

const redisServerMissing = spawnSync("redis-server", ["--version"]).error
  ? "redis-server is not installed: this test needs a Redis of its own to stop and start"
  : false;

describe("Redis goes away under the control planes, and comes back", { skip: redisServerMissing }, () => {
  let database: TestDatabase;
  let modelsDir: string;
  let auth: ReturnType<typeof createAuth>;
  let redisPort: number;
  let redisUrl: string;
  let redis: ChildProcess | null = null;
  const devices: Array<{ deviceId: string; secret: string }> = [];
  const planes: ControlPlane[] = [];
  const clients: Array<AgentClient | DashboardClient> = [];
  const prefix = `lf-scaleout-down-${randomBytes(4).toString("hex")}`;
  // Node 20 ends the process on an unhandled rejection: any here is the crash this test is about.
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  const startRedis = async () => {
    redis = spawn(
      "redis-server",
      ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    await eventually(async () => (await redisSkipReason(redisUrl)) === false, 10_000);
  };
  const killRedis = async () => {
    const child = redis;
    redis = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  };

  /** A control plane on the throw-away Redis; its warnings and errors are kept. */
  const plane = async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    const p = createControlPlane({
      db: { prisma: database.prisma, pool: database.pool, log },
      auth,
      modelsDir,
      intervals: { watchedMs: 250, idleMs: 60_000 },
      redis: { url: redisUrl, prefix, refreshMs: 300 },
    });
    planes.push(p);
    await new Promise<void>((resolve) => p.httpServer.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(p.httpServer.address() as AddressInfo).port}`;
    const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
    return { p, url, count };
  };

  before(async () => {
    process.on("unhandledRejection", onRejection);
    redisPort = await freePort();
    redisUrl = `redis://127.0.0.1:${redisPort}/0`;
    await startRedis();
    database = await createTestDatabase();
    modelsDir = await mkdtemp(path.join(tmpdir(), "labfleet-models-"));
    const db: Db = { prisma: database.prisma, pool: database.pool, log: createLogger({ level: "silent" }) };
    auth = createAuth({
      prisma: db.prisma,
      secret: "scale-out-down-secret-0123456789abcdef",
      baseURL: "http://127.0.0.1",
    });
    const { token } = await createEnrollmentToken(db, { label: "t", expiresInHours: 1, maxUses: 5 }, null);
    for (const hostname of ["pc-1", "pc-2"]) {
      const e = await enrollDevice(db, { token, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "t" });
      devices.push({ deviceId: e.deviceId, secret: e.deviceSecret });
    }
    await createUser(auth, { email: "staff@example.test", password: "password-staff-1", name: "S", role: "admin" });
  });

  after(async () => {
    for (const c of clients) c.close();
    // Bounded: a failed test may leave a plane mid-outage.
    const closing = Promise.allSettled(planes.map((p) => p.close()));
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    for (const p of planes) p.httpServer.closeAllConnections();
    await killRedis();
    await database?.close();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
    process.off("unhandledRejection", onRejection);
  });

  test("broadcasts, acks and disconnects while Redis is down: no crash, local sockets served, then it resumes", {
    timeout: 90_000,
  }, async (t) => {
    const [one, two] = devices;
    assert.ok(one && two);
    const runStart = { runId: "run-down" } as never;
    const a = await plane();
    const b = await plane();
    const agentOne = await connectAgent(a.url, one);
    clients.push(agentOne);
    agentOne.on("run:start", (_payload, ack) => ack({ ok: true, data: { accepted: true } }));
    await eventually(() => b.p.hub.isOnline(one.deviceId), 10_000);
    const dash = await connectDashboard(a.url, await signInCookie(a.url, "staff@example.test", "password-staff-1"));
    clients.push(dash);
    const deployments: string[] = [];
    dash.on("deployment:updated", (u) => deployments.push(u.deploymentId));

    /** Every kind of adapter call the hub makes, on one process, toward the device on A (held by A). */
    const exercise = async (p: ControlPlane, tag: string) => {
      const agents = p.io.of(AGENT_NAMESPACE);
      const room = deviceRoom(one.deviceId);
      p.hub.publishDeployment({ deploymentId: `${tag}-dep`, deviceId: null });
      agents.to(room).emit("run:cancel", { runId: "run-down" });
      const answers = await agents.to(room).timeout(2_000).emitWithAck("run:start", runStart);
      // The hub closes a device's socket itself where it holds it, and through the adapter elsewhere.
      if (p !== a.p) agents.in(room).disconnectSockets(true);
      const dashboards = await p.io.of("/dashboard").fetchSockets();
      return { answers, dashboards: dashboards.length };
    };

    await killRedis();
    // At once, before the clients have noticed (commands already written to a dead socket), and once they have.
    for (const phase of ["unnoticed", "noticed"]) {
      const [onA, onB] = await Promise.all([exercise(a.p, `a-${phase}`), exercise(b.p, `b-${phase}`)]);
      assert.deepEqual(onA, { answers: [{ ok: true, data: { accepted: true } }], dashboards: 1 }, `A, ${phase}`);
      assert.deepEqual(onB, { answers: [], dashboards: 0 }, `B answers at once, without a timeout (${phase})`);
      await eventually(() => deployments.includes(`a-${phase}-dep`), 5_000);
      if (phase === "unnoticed") {
        await eventually(() => a.count(/Redis is unreachable/) >= 1 && b.count(/Redis is unreachable/) >= 1, 10_000);
        assert.ok(!a.p.scaleOut?.connected && !b.p.scaleOut?.connected);
      }
    }
    assert.equal(agentOne.connected, true, "a disconnect sent from B cannot reach A while Redis is away");
    await assert.rejects(b.p.hub.startRunOnAgent(one.deviceId, runStart, 5_000), /offline/);
    assert.equal(await a.p.hub.startRunOnAgent(one.deviceId, runStart, 5_000).then((r) => r.ok), true);

    // A process that starts while Redis is away serves its own device.
    const c = await plane();
    const agentTwo = await connectAgent(c.url, two);
    clients.push(agentTwo);
    agentTwo.on("run:start", (_payload, ack) => ack({ ok: true, data: { accepted: true } }));
    assert.equal(c.p.hub.isOnline(two.deviceId), true);

    // A revocation on B (whose presence no longer knows the device) and one on A, which holds it.
    b.p.hub.disconnectDevice(one.deviceId, "revoked on B");
    const revoked: string[] = [];
    agentOne.on("device:revoked", ({ reason }) => revoked.push(reason));
    const closed = new Promise<void>((resolve) => agentOne.once("disconnect", () => resolve()));
    a.p.hub.disconnectDevice(one.deviceId, "revoked on A");
    await closed;
    assert.deepEqual(revoked, ["revoked on A"]);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(rejections, [], "no unhandled rejection while Redis was away");
    for (const [name, p] of [
      ["A", a],
      ["B", b],
      ["C", c],
    ] as const) {
      assert.equal(p.count(/Redis is unreachable/), 1, `${name}: one line for the outage`);
    }

    // Redis returns on the same port: C, which never saw it, is counted by the others.
    await startRedis();
    await eventually(() => planes.every((p) => p.scaleOut?.connected), 15_000);
    assert.equal(a.count(/Redis is reachable again/), 1);
    await eventually(() => a.p.hub.isOnline(two.deviceId) && b.p.hub.isOnline(two.deviceId), 10_000);
    const answer = await a.p.hub.startRunOnAgent(two.deviceId, runStart, 5_000);
    assert.deepEqual(answer, { ok: true, data: { accepted: true } }, "the ack from C's device comes back to A");
    c.p.hub.publishDeployment({ deploymentId: "c-after", deviceId: null });
    await eventually(() => deployments.includes("c-after"), 5_000);
    const revokedAt = Date.now();
    const closedTwo = new Promise<void>((resolve) => agentTwo.once("disconnect", () => resolve()));
    b.p.hub.disconnectDevice(two.deviceId, "revoked on B");
    await closedTwo;
    const revokeMs = Date.now() - revokedAt;
    t.diagnostic(`a revocation on B cut off the device on C in ${revokeMs} ms`);
    assert.ok(revokeMs < 1_000, `revocation took ${revokeMs} ms`);
    assert.deepEqual(rejections, []);
  });
});
