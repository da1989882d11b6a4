import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { catalogEntries } from "@labfleet/catalog";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { syncCatalog } from "../services/models/catalog-sync.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { agentProcess } from "./agent-process.ts";

/** How long the control plane is away. The issue asks for a full minute: several 10 s roll-up windows. */
const OUTAGE_MS = 60_000;
const WINDOW_MS = 10_000;
/** Samples taken in the moment the agent notices the outage may be sent raw; the check skips this edge. */
const EDGE_MS = 2_000;

interface Row {
  ts: number;
  aggregated: number | null;
}

describe("the agent loses nothing while the control plane is down", () => {
  let cp: TestControlPlane;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 1000, idleMs: 1000 });
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-outage-it-"));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a 60 s outage during a run: telemetry is backfilled with 10 s roll-ups, the result and every event arrive exactly once", {
    timeout: OUTAGE_MS + 120_000,
  }, async () => {
    const config = path.join(dir, "agent.json");
    const stateDir = path.join(dir, "state");
    const env = { LABFLEET_AGENT_STATE_DIR: stateDir };
    const { token } = await createEnrollmentToken(cp.db, { label: "outage", expiresInHours: 1, maxUses: 1 }, null);
    const enrolled = await agentProcess(["enroll", "--server", cp.url, "--token", token, "--config", config]).done;
    assert.equal(enrolled.code, 0, enrolled.stderr + enrolled.stdout);

    const run = agentProcess(["run", "--config", config], env);
    children.push(run.child);
    const device = await eventually(() => cp.db.prisma.device.findFirst(), 20_000);
    const rows = async (): Promise<Row[]> =>
      (
        await cp.db.pool.query<{ ts: string; aggregated: string | null }>(
          `SELECT (extract(epoch FROM ts) * 1000)::bigint AS ts, sample->>'aggregatedCount' AS aggregated
           FROM telemetry WHERE device_id = $1 ORDER BY ts`,
          [device.id],
        )
      ).rows.map((r) => ({ ts: Number(r.ts), aggregated: r.aggregated === null ? null : Number(r.aggregated) }));
    await eventually(async () => (await rows()).length >= 3, 30_000, 200);
    await eventually(async () => {
      const { rows: ev } = await cp.db.pool.query("SELECT 1 FROM agent_event WHERE device_id = $1", [device.id]);
      return ev.length >= 1;
    }, 20_000);

    // A real workload: a 40 s benchmark of Silero VAD in the agent's workload process, started before the outage
    // and ending during it, so that its result can only arrive through the offline buffer.
    const entries = (await catalogEntries({ workDir: path.join(dir, "catalog") })).filter(
      (e) => e.slug === "silero-vad",
    );
    await syncCatalog(cp.db, cp.plane.blobs, entries, cp.db.log);
    const version = await cp.db.prisma.modelVersion.findFirstOrThrow({
      where: { model: { slug: "silero-vad" } },
      orderBy: { variant: "asc" },
    });
    const admin = await cp.user("admin");
    const { id: runId } = await cp.caller(admin).run.start({
      versionId: version.id,
      deviceId: device.id,
      spec: { kind: "benchmark", warmup: 3, durationMs: 40_000, threads: 1 },
    });
    await eventually(
      async () => {
        const r = await cp.db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return r.status === "running" && (r.progress as { phase?: string } | null)?.phase === "measuring";
      },
      60_000,
      200,
    );

    const downAt = Date.now();
    await cp.stopServer();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const upAt = Date.now();
    await cp.startServer();

    // The agent comes back by itself (its backoff is capped at 30 s) and replays what it buffered.
    await eventually(() => cp.plane.hub.isOnline(device.id), 60_000, 200);
    const firstWindow = Math.ceil((downAt + EDGE_MS) / WINDOW_MS);
    const lastWindow = Math.floor(upAt / WINDOW_MS) - 1;
    // 60 s of outage always holds at least three whole 10 s windows past the edge, wherever the clock stands.
    assert.ok(lastWindow - firstWindow >= 3, "the outage spans several whole windows");
    const backfilled = await eventually(
      async () => {
        const all = await rows();
        const inside = all.filter((r) => r.ts >= firstWindow * WINDOW_MS && r.ts < (lastWindow + 1) * WINDOW_MS);
        const windows = new Set(inside.map((r) => Math.floor(r.ts / WINDOW_MS)));
        return windows.size === lastWindow - firstWindow + 1 ? inside : null;
      },
      30_000,
      200,
    );
    // One roll-up per window, each standing for the samples taken in it.
    for (const r of backfilled) assert.ok(r.aggregated !== null && r.aggregated >= 1, `roll-up at ${r.ts}`);
    assert.equal(backfilled.length, lastWindow - firstWindow + 1, "one roll-up per 10 s window");
    assert.ok(
      backfilled.some((r) => (r.aggregated ?? 0) > 1),
      "roll-ups summarise several samples",
    );

    // Live telemetry resumes after the replay: raw samples again.
    await eventually(async () => (await rows()).some((r) => r.ts > upAt && r.aggregated === null), 30_000, 200);

    // The buffer drains to empty: nothing is left that the server did not ack.
    await eventually(
      async () => {
        const s = await agentProcess(["status", "--json", "--config", config], env).done;
        const report = JSON.parse(s.stdout) as { state: { buffer: { events: number; telemetry: number } | null } };
        const b = report.state.buffer;
        return b !== null && b.events === 0 && b.telemetry <= 1;
      },
      30_000,
      500,
    );

    // The run ended while the server was away; its signed result came through the buffer, once.
    const finished = await eventually(
      async () => {
        const r = await cp.db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return r.status === "succeeded" ? r : null;
      },
      30_000,
      200,
    );
    const endedAt = (finished.result as { finishedAt: number }).finishedAt;
    assert.ok(endedAt > downAt && endedAt < upAt, "the run ended during the outage, on the device's clock");
    assert.equal(finished.signatureValid, true, "the device's signature verified");
    assert.ok((finished.throughput ?? 0) > 0 && (finished.p95Ms ?? 0) > 0, "throughput and latency were measured");

    const { rows: events } = await cp.db.pool.query<{ kind: string; n: string }>(
      "SELECT kind, count(*) AS n FROM agent_event WHERE device_id = $1 GROUP BY kind ORDER BY kind",
      [device.id],
    );
    assert.deepEqual(
      events.map((e) => [e.kind, Number(e.n)]),
      [
        ["agent.started", 1],
        ["run.finished", 1],
      ],
      "agent.started and the run's result once each, no loss (the buffer was far from its cap)",
    );

    run.child.kill("SIGTERM");
    const exit = await run.done;
    assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    assert.ok(!/"level":50/.test(exit.stdout), "no error was logged");
  });
});
