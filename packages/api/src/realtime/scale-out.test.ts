import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@labfleet/db/test-db";
import { type AgentConfig, PROTOCOL_VERSION, type RunCancel } from "@labfleet/protocol";
import { createClient } from "redis";
import { createAuth } from "../auth.ts";
import { type ControlPlane, createControlPlane } from "../control-plane.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { createUser } from "../services/users.ts";
import { eventually } from "../testing/harness.ts";
import { type AgentClient, connectAgent, connectDashboard, type DashboardClient } from "../testing/sockets.ts";

/** DB 1 belongs to the scale-out tests; channels ignore the DB number, so each run has its own prefix too. */
const REDIS_URL = process.env.LABFLEET_SCALE_REDIS_URL ?? "redis://127.0.0.1:6379/1";

async function redisSkipReason(): Promise<string | false> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (e) {
    return `Redis at ${REDIS_URL} is not reachable (${(e as Error).message}); set LABFLEET_SCALE_REDIS_URL`;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
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
    const res = await fetch(`${urlB}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
      body: JSON.stringify({ email: "staff@example.test", password: "password-staff-1" }),
    });
    cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
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
