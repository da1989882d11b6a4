import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { applyMigrations, createPool, createPrismaClient } from "@labfleet/db";
import { postgresUnreachable, redisUnreachable } from "@labfleet/db/test-services";
import type { DeviceSummary, TelemetrySampled } from "@labfleet/protocol";
import pg from "pg";
import { createClient } from "redis";
import { createAuth } from "../auth.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";
import { createUser } from "../services/users.ts";
import { eventually } from "../testing/harness.ts";
import { connectDashboard, type DashboardClient } from "../testing/sockets.ts";
import { agentProcess, repoRoot } from "./agent-process.ts";
import { enrollRealAgent, freePort, mutate, signIn } from "./faults-kit.ts";

const PG_ADMIN_URL = process.env.LABFLEET_SCALE_PG_URL ?? "postgresql://root@127.0.0.1:5432/postgres";
/** DB 1 is this test's; pub/sub channels ignore the DB number, so every run also gets its own prefix. */
const REDIS_URL = process.env.LABFLEET_SCALE_REDIS_URL ?? "redis://127.0.0.1:6379/1";
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "scale-out-server.ts");

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const skipReason =
  (await postgresUnreachable(PG_ADMIN_URL, "LABFLEET_SCALE_PG_URL")) ??
  (await redisUnreachable(REDIS_URL, "LABFLEET_SCALE_REDIS_URL"));

interface Plane {
  child: ChildProcess;
  url: string;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts scale-out-server.ts in its own process; resolves once it listens (bounded). */
async function startPlane(env: Record<string, string>, port: number): Promise<Plane> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env, SCALE_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start within 60 s:\n${out}`)), 60_000);
    const onData = () => {
      if (!out.includes(`listening ${port}`)) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve();
    };
    child.stdout?.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`control plane exited at start (${child.exitCode}):\n${out}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    kill9: () => stopWith("SIGKILL"),
    stop: () => stopWith("SIGTERM"),
  };
}

/** The sample events a dashboard socket receives, kept in order. */
function collectSamples(socket: DashboardClient): TelemetrySampled[] {
  const got: TelemetrySampled[] = [];
  socket.on("telemetry:sampled", (e) => got.push(e));
  return got;
}

async function ack<T>(p: Promise<unknown>): Promise<T> {
  const res = (await p) as { ok: boolean; data?: T; error?: unknown };
  if (!res.ok) throw new Error(`refused: ${JSON.stringify(res.error)}`);
  return res.data as T;
}

describe("scale-out: two control-plane processes on PostgreSQL and Redis", { skip: skipReason ?? false }, () => {
  const dbName = `lf_scaleout_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const databaseUrl = (() => {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let dir: string;
  let db: Db;
  const children: ChildProcess[] = [];
  const sockets: DashboardClient[] = [];
  const planes: Plane[] = [];
  let admin: { email: string; password: string };
  /** Key prefixes used on the machine's Redis, removed after the tests. */
  const prefixes: string[] = [];

  const planeEnv = (name: string, redisUrl: string, prefix: string) => ({
    SCALE_DATABASE_URL: databaseUrl,
    SCALE_REDIS_URL: redisUrl,
    SCALE_REDIS_PREFIX: prefix,
    SCALE_MODELS_DIR: path.join(dir, "models"),
    SCALE_PROBE_FILE: path.join(dir, `probe-${name}.log`),
  });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-scale-out-"));
    await adminQuery(`CREATE DATABASE "${dbName}"`);
    await applyMigrations(databaseUrl);
    db = {
      prisma: createPrismaClient(databaseUrl),
      pool: createPool(databaseUrl),
      log: createLogger({ level: "silent" }),
    };
    const auth = createAuth({
      prisma: db.prisma,
      secret: "scale-out-test-secret-0123456789abcdef",
      baseURL: "http://x",
    });
    admin = { email: "admin@example.test", password: "password-admin-1" };
    await createUser(auth, { ...admin, name: "Admin", role: "admin" });
  });

  after(async () => {
    for (const s of sockets) s.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.allSettled(planes.map((p) => p.stop()));
    await Promise.allSettled([db?.prisma.$disconnect(), db?.pool.end()]);
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const redis = createClient({ url: REDIS_URL });
    redis.on("error", () => undefined);
    await redis.connect();
    for (const prefix of prefixes) {
      for await (const key of redis.scanIterator({ MATCH: `${prefix}:*` })) await redis.del(key);
    }
    await redis.quit();
  });

  test("agents on A, dashboard on B: live telemetry, presence, a revocation, and jobs that run once", async (t) => {
    const prefix = `lf-scaleout-${randomBytes(4).toString("hex")}`;
    prefixes.push(prefix);
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await startPlane(planeEnv("ab", REDIS_URL, prefix), portA);
    planes.push(a);
    const b = await startPlane(planeEnv("ab", REDIS_URL, prefix), portB);
    planes.push(b);

    const agents = [];
    for (const name of ["pc-1", "pc-2"]) {
      const enrolled = await enrollRealAgent(a.url, db, dir, name);
      const run = agentProcess(["run", "--config", enrolled.config], { LABFLEET_AGENT_STATE_DIR: enrolled.stateDir });
      children.push(run.child);
      agents.push({ ...enrolled, run });
    }
    const [one, two] = agents;
    assert.ok(one && two);

    // The dashboard is on B; both devices are connected to A only.
    const cookie = await signIn(b.url, admin.email, admin.password);
    const dash = await connectDashboard(b.url, cookie);
    sockets.push(dash);
    const online = await eventually(async () => {
      const fleet = await ack<DeviceSummary[]>(dash.emitWithAck("fleet:subscribe", {}));
      const ids = fleet.filter((d) => d.status === "online").map((d) => d.id);
      return ids.length === 2 ? ids : null;
    }, 30_000);
    assert.deepEqual(online.sort(), [one.deviceId, two.deviceId].sort(), "B sees the devices connected to A");
    await ack(dash.emitWithAck("fleet:unsubscribe", {}));

    // Idle devices report once a minute here: a stream of samples on B means B's watch reached A.
    const samples = collectSamples(dash);
    await ack(dash.emitWithAck("device:subscribe", { deviceId: one.deviceId }));
    await eventually(() => samples.filter((s) => s.deviceId === one.deviceId).length >= 3, 30_000);
    assert.ok(
      samples.every((s) => s.deviceId === one.deviceId),
      "only the watched device's samples reach the room",
    );

    // A revocation sent to B cuts off the agent connected to A.
    const revokedAt = Date.now();
    const summary = await mutate<DeviceSummary>(b.url, cookie, "device.revoke", { id: two.deviceId });
    assert.equal(summary.status, "revoked");
    const exit = await Promise.race([two.run.done, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    assert.ok(exit, `the revoked agent did not stop:\n${two.run.output()}`);
    t.diagnostic(`revoked agent on A stopped ${Date.now() - revokedAt} ms after the revocation on B`);
    assert.match(exit.stdout + exit.stderr, /revoked/i);
    assert.notEqual(exit.code, 0);
    // The other agent is unaffected.
    assert.equal(one.run.child.exitCode, null);

    // Jobs: both processes run a scheduler with the same probe job; only the leader's pid ever appears.
    const probe = path.join(dir, "probe-ab.log");
    const pids = () =>
      readFileSafe(probe)
        .split("\n")
        .filter(Boolean)
        .map((l) => Number(l));
    await eventually(() => pids().length >= 6, 30_000);
    const leaders = new Set(pids());
    assert.equal(leaders.size, 1, `one process runs the jobs, not both: ${[...leaders].join(", ")}`);
    const leaderPid = [...leaders][0];
    const leader = planes.find((p) => p.child.pid === leaderPid);
    const follower = planes.find((p) => p !== leader && (p === a || p === b));
    assert.ok(leader && follower, "the leader is one of the two processes");

    // kill -9 the leader: PostgreSQL frees its lock with its connection, and the other process takes over.
    writeFileSync(probe, "");
    const killedAt = Date.now();
    await leader.kill9();
    await eventually(() => pids().includes(follower.child.pid ?? -1), 30_000);
    t.diagnostic(`the other process ran the job ${Date.now() - killedAt} ms after the leader was killed`);
    assert.ok(!pids().includes(leaderPid ?? -1), "the dead leader did not run anything");
  });

  test("Redis down: one log line, each process keeps serving its own sockets, and recovery when it returns", async (t) => {
    const redisPort = await freePort();
    const redisUrl = `redis://127.0.0.1:${redisPort}/0`;
    const startRedis = () => {
      const child = spawn(
        "redis-server",
        ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        {
          stdio: "ignore",
        },
      );
      children.push(child);
      return child;
    };
    let redis = startRedis();
    await eventually(async () => (await redisUnreachable(redisUrl, "LABFLEET_SCALE_REDIS_URL")) === null, 10_000);

    const prefix = `lf-scaleout-down-${randomBytes(4).toString("hex")}`;
    const c = await startPlane(planeEnv("cd", redisUrl, prefix), await freePort());
    planes.push(c);
    const d = await startPlane(planeEnv("cd", redisUrl, prefix), await freePort());
    planes.push(d);

    const enrolled = await enrollRealAgent(c.url, db, dir, "pc-redis");
    const run = agentProcess(["run", "--config", enrolled.config], { LABFLEET_AGENT_STATE_DIR: enrolled.stateDir });
    children.push(run.child);
    const local = await connectDashboard(c.url, await signIn(c.url, admin.email, admin.password));
    const remote = await connectDashboard(d.url, await signIn(d.url, admin.email, admin.password));
    sockets.push(local, remote);
    const onLocal = collectSamples(local);
    const onRemote = collectSamples(remote);
    await ack(local.emitWithAck("device:subscribe", { deviceId: enrolled.deviceId }));
    await ack(remote.emitWithAck("device:subscribe", { deviceId: enrolled.deviceId }));
    await eventually(() => onRemote.length >= 2, 30_000);

    // Redis goes away.
    const gone = new Promise<void>((resolve) => redis.once("exit", () => resolve()));
    redis.kill("SIGKILL");
    await gone;
    const downLine = /Redis is unreachable/g;
    await eventually(() => (c.output().match(downLine)?.length ?? 0) >= 1, 15_000);
    // The local dashboard still gets the device's samples (the watch is local: it keeps the fast rate).
    const localBefore = onLocal.length;
    await eventually(() => onLocal.length >= localBefore + 4, 30_000);
    assert.equal(c.output().match(downLine)?.length, 1, "one line for the outage, not one per reconnect attempt");
    assert.equal(d.output().match(downLine)?.length, 1);
    assert.equal(run.child.exitCode, null, "the agent stays connected");
    // Broadcasts to the watched room went to a Redis that is not there: a failed publish must not end the process.
    for (const p of [c, d]) {
      assert.equal(p.child.exitCode, null, `a control plane exited during the outage:\n${p.output()}`);
      assert.doesNotMatch(p.output(), /unhandled|uncaught/i);
    }
    // A process that starts while Redis is away serves its own sockets, and joins in when Redis returns.
    const e = await startPlane(planeEnv("cd", redisUrl, prefix), await freePort());
    planes.push(e);
    const late = await connectDashboard(e.url, await signIn(e.url, admin.email, admin.password));
    sockets.push(late);

    // Redis returns on the same port: presence, watches and cross-process delivery resume.
    redis = startRedis();
    await eventually(() => c.output().includes("Redis is reachable again"), 30_000);
    await eventually(() => d.output().includes("Redis is reachable again"), 30_000);
    // It logged the outage at start too, so it logs the return as the others do.
    await eventually(() => e.output().includes("Redis is reachable again"), 30_000);
    const remoteBefore = onRemote.length;
    await eventually(() => onRemote.length >= remoteBefore + 2, 30_000);
    t.diagnostic(`after the outage: ${onLocal.length} samples on the local dashboard, ${onRemote.length} remote`);
    // Presence comes back with the next refresh of each process (C re-asserts its devices, D re-reads them).
    const seenAgain = await eventually(async () => {
      const all = await ack<DeviceSummary[]>(remote.emitWithAck("fleet:subscribe", {}));
      return all.find((x) => x.id === enrolled.deviceId)?.status === "online";
    }, 15_000);
    assert.ok(seenAgain, "D sees C's device again");
    const seenByLate = await eventually(async () => {
      const all = await ack<DeviceSummary[]>(late.emitWithAck("fleet:subscribe", {}));
      return all.find((x) => x.id === enrolled.deviceId)?.status === "online";
    }, 15_000);
    assert.ok(seenByLate, "the process started during the outage sees C's device");
    for (const p of [c, d, e]) assert.equal(p.child.exitCode, null, `a control plane exited:\n${p.output()}`);
    redis.kill("SIGTERM");
  });
});

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}
