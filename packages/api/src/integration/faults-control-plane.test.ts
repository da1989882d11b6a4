import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { catalogEntries } from "@labfleet/catalog";
import {
  applyMigrations,
  createPool,
  createPrismaClient,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "@labfleet/db";
import { createAuth } from "../auth.ts";
import { createLogger } from "../logger.ts";
import { DEFAULT_PUSH_CONFIRM_MS } from "../realtime/telemetry-push.ts";
import type { Db } from "../services/deps.ts";
import { BlobStore } from "../services/models/blob-store.ts";
import { syncCatalog } from "../services/models/catalog-sync.ts";
import { createUser } from "../services/users.ts";
import { eventually } from "../testing/harness.ts";
import { agentProcess } from "./agent-process.ts";
import {
  agentBuffer,
  enrollRealAgent,
  freePort,
  mutate,
  type PlaneProcess,
  signIn,
  startPlaneProcess,
} from "./faults-kit.ts";

/** The agents' offline policy: samples taken while the server is away are kept as one roll-up per 10 s window. */
const WINDOW_MS = 10_000;
/** How long PostgreSQL stays down: longer than any gap live telemetry at 1 s could show without buffering. */
const PG_OUTAGE_MS = 15_000;

type Agent = Awaited<ReturnType<typeof enrollRealAgent>>;

/**
 * Faults with real processes: the control plane in its own process (killed with SIGKILL and started again on the
 * same port and database), an embedded PostgreSQL stopped and started under load, and real agents.
 */
describe("faults: control plane killed, PostgreSQL restarted", () => {
  let dir: string;
  let pgServer: EmbeddedPostgres;
  let db: Db;
  let plane: PlaneProcess;
  let port: number;
  let url: string;
  let modelsDir: string;
  let cookie: string;
  let versionId: string;
  const agents: Agent[] = [];
  const children: ChildProcess[] = [];
  const outputs: Array<() => string> = [];
  let startedAt = 0;

  const startPlane = async () => {
    plane = await startPlaneProcess({ databaseUrl: pgServer.databaseUrl, port, modelsDir });
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-faults-it-"));
    modelsDir = path.join(dir, "models");
    pgServer = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), ephemeral: true, database: "faults" });
    await applyMigrations(pgServer.databaseUrl);
    const log = createLogger({ level: "silent" });
    db = { prisma: createPrismaClient(pgServer.databaseUrl), pool: createPool(pgServer.databaseUrl), log };
    const entries = (await catalogEntries({ workDir: path.join(dir, "catalog") })).filter(
      (e) => e.slug === "silero-vad",
    );
    await syncCatalog(db, new BlobStore(modelsDir), entries, log);
    versionId = (
      await db.prisma.modelVersion.findFirstOrThrow({
        where: { model: { slug: "silero-vad" } },
        orderBy: { variant: "asc" },
      })
    ).id;
    const auth = createAuth({ prisma: db.prisma, secret: "faults-test-secret-0123456789abcdef", baseURL: "http://x" });
    await createUser(auth, { email: "admin@example.test", password: "faults-admin-pw", name: "Admin", role: "admin" });

    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startPlane();
    cookie = await signIn(url, "admin@example.test", "faults-admin-pw");
    for (const name of ["seat-1", "seat-2"]) {
      const a = await enrollRealAgent(url, db, dir, name);
      agents.push(a);
      const run = agentProcess(["run", "--config", a.config], { LABFLEET_AGENT_STATE_DIR: a.stateDir });
      children.push(run.child);
      outputs.push(run.output);
    }
    startedAt = Date.now();
    await eventually(
      async () => {
        const { rows } = await db.pool.query<{ n: string }>(
          "SELECT count(DISTINCT device_id) AS n FROM telemetry WHERE device_id = ANY($1)",
          [agents.map((a) => a.deviceId)],
        );
        // The inventory too: a deployment's fit check needs it.
        const known = await db.prisma.device.count({
          where: { id: { in: agents.map((a) => a.deviceId) }, inventoryHash: { not: null } },
        });
        return Number(rows[0]?.n) === agents.length && known === agents.length;
      },
      30_000,
      200,
    );
  });

  after(async () => {
    // FAULTS_DEBUG=<file>: what the control plane and the agents logged, for a failure that needs reading.
    const debug = process.env.FAULTS_DEBUG;
    if (debug) writeFileSync(debug, [plane?.output() ?? "", ...outputs.map((o) => o())].join("\n----\n"));
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await plane?.kill9();
    await db?.prisma.$disconnect();
    await db?.pool.end();
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("kill -9 during a deployment: after a restart on the same database every device reaches ready", {
    timeout: 120_000,
  }, async () => {
    const deployment = await mutate<{ id: string }>(url, cookie, "deployment.create", {
      versionId,
      target: { kind: "devices", deviceIds: agents.map((a) => a.deviceId) },
      strategy: { waves: 2, gate: null },
    });
    // At once: the first wave has just been told to download, the second waits for it.
    await plane.kill9();
    await startPlane();

    // The deployment completes just after its last device reports ready (its status moves in the next step).
    const states = await eventually(
      async () => {
        const rows = await db.prisma.deploymentDevice.findMany({ where: { deploymentId: deployment.id } });
        const d = await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } });
        const ready = rows.length === agents.length && rows.every((r) => r.state === "ready");
        return ready && d.status === "complete" ? rows : null;
      },
      90_000,
      200,
    );
    assert.deepEqual(states.map((r) => r.wave).sort(), [0, 1], "both waves ran: the second started after the restart");
  });

  test("kill -9 during runs: each result reaches the server through the agent's buffer and is stored exactly once", {
    timeout: 150_000,
  }, async () => {
    const runs: { id: string; agent: Agent }[] = [];
    for (const a of agents) {
      const r = await mutate<{ id: string }>(url, cookie, "run.start", {
        versionId,
        deviceId: a.deviceId,
        spec: { kind: "benchmark", warmup: 3, durationMs: 6_000, threads: 1 },
      });
      runs.push({ id: r.id, agent: a });
    }
    await eventually(
      async () => {
        const rows = await db.prisma.run.findMany({ where: { id: { in: runs.map((r) => r.id) } } });
        return rows.every((r) => r.status === "running");
      },
      60_000,
      100,
    );
    const downAt = Date.now();
    await plane.kill9();
    // The runs end while the control plane is down: each agent buffers its signed result (a run.finished event).
    for (const r of runs) {
      await eventually(async () => ((await agentBuffer(r.agent))?.events ?? 0) >= 1, 60_000, 500);
    }
    const upAt = Date.now();
    await startPlane();

    for (const r of runs) {
      const stored = await eventually(
        async () => {
          const row = await db.prisma.run.findUniqueOrThrow({ where: { id: r.id } });
          return row.status === "succeeded" ? row : null;
        },
        60_000,
        200,
      );
      const finishedAt = (stored.result as { finishedAt: number }).finishedAt;
      assert.ok(finishedAt > downAt && finishedAt < upAt, "the run ended while the control plane was down");
      assert.equal(stored.signatureValid, true);
      // Drained: nothing the server did not ack is left, so no later replay can store it again.
      await eventually(async () => (await agentBuffer(r.agent))?.events === 0, 30_000, 500);
      const { rows } = await db.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM agent_event WHERE device_id = $1 AND kind = 'run.finished' AND data->>'runId' = $2",
        [r.agent.deviceId, r.id],
      );
      assert.equal(Number(rows[0]?.n), 1, "the result event is stored once");
    }
  });

  test("PostgreSQL stopped and started under load: the control plane reconnects, agents resend, nothing is lost", {
    timeout: 150_000,
  }, async () => {
    const before = await telemetryTimes();
    const downAt = Date.now();
    await pgServer.stop();
    await new Promise((r) => setTimeout(r, PG_OUTAGE_MS));
    const upAt = Date.now();
    pgServer = await startEmbeddedPostgres({
      dataDir: path.join(dir, "pg"),
      port: pgServer.port,
      ephemeral: true,
      database: "faults",
    });
    // Samples taken while the database was away arrive once it is back: a sample every second through the outage.
    const after = await eventually(
      async () => {
        const t = await telemetryTimes();
        const ok = agents.every((a) => (t.get(a.deviceId) ?? []).some((ts) => ts > upAt + 3_000));
        return ok ? t : null;
      },
      60_000,
      500,
    );
    assert.equal(plane.child.exitCode, null, "the control plane survived the outage");
    for (const a of agents) {
      const ts = after.get(a.deviceId) ?? [];
      const inside = ts.filter((t) => t > downAt && t < upAt);
      const gaps = maxGap(ts.filter((t) => t > downAt - 5_000 && t < upAt + 3_000));
      // Bounds loose enough for a loaded machine (the sampler may skip a tick), far from what a loss would show:
      // nothing from the outage, and a hole as long as the outage.
      assert.ok(inside.length >= PG_OUTAGE_MS / 1000 / 3, `samples from the outage arrived (${inside.length})`);
      assert.ok(gaps < PG_OUTAGE_MS / 2, `no hole in the series across the outage (largest gap ${gaps} ms)`);
      assert.ok(ts.length > (before.get(a.deviceId) ?? []).length);
    }
    // And the series as a whole, since the agents started (two control-plane kills included): every 10 s window
    // holds the device's data, raw or as the buffer's roll-up.
    for (const a of agents) {
      const windows = new Set((after.get(a.deviceId) ?? []).map((t) => Math.floor(t / WINDOW_MS)));
      const first = Math.ceil(startedAt / WINDOW_MS) + 1;
      const last = Math.floor(upAt / WINDOW_MS) - 1;
      const missing: number[] = [];
      for (let w = first; w <= last; w++) if (!windows.has(w)) missing.push(w * WINDOW_MS);
      assert.deepEqual(missing, [], `windows without telemetry for ${a.deviceId}`);
    }
    // No error was logged as fatal, and the buffers drain.
    assert.ok(!/"level":60/.test(plane.output()), plane.output());
    // What is left is at most the live samples not yet confirmed (one a second, confirmed every few seconds), far
    // below the outage's backlog.
    const unconfirmed = DEFAULT_PUSH_CONFIRM_MS / 1000 + 1;
    for (const a of agents) {
      await eventually(async () => ((await agentBuffer(a))?.telemetry ?? 99) <= unconfirmed, 30_000, 500);
    }
  });

  async function telemetryTimes(): Promise<Map<string, number[]>> {
    const { rows } = await db.pool.query<{ device_id: string; ts: string }>(
      `SELECT device_id, (extract(epoch FROM ts) * 1000)::bigint AS ts FROM telemetry
       WHERE device_id = ANY($1) ORDER BY ts`,
      [agents.map((a) => a.deviceId)],
    );
    const m = new Map<string, number[]>();
    for (const r of rows) m.set(r.device_id, [...(m.get(r.device_id) ?? []), Number(r.ts)]);
    return m;
  }
});

function maxGap(ts: number[]): number {
  let max = 0;
  for (let i = 1; i < ts.length; i++) max = Math.max(max, (ts[i] ?? 0) - (ts[i - 1] ?? 0));
  return max;
}
