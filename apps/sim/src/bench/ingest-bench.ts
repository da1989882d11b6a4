// `npm run bench:ingest`: how many devices reporting every second one control plane takes in (or two on Redis with
// --processes 2). Steps the fleet up (500, 1,000, 2,000, 3,000, 5,000 by default); at each step, once every device
// is connected and a warm-up has passed, measures over a fixed window:
//   - samples sent (counted by the simulator) vs stored (rows in the telemetry table, by device and timestamp);
//   - agent-to-dashboard latency: a signed-in dashboard socket subscribed to the fleet, arrival minus the sample's
//     own timestamp (same machine clock); p50, p99, max;
//   - CPU of the control plane, the simulator processes and the whole machine (/proc), and the server's RSS.
// A step passes with nothing dropped and p99 < 250 ms; the bench stops at the first step that fails.
// Flags: --steps 500,1000 --window-s 30 --warmup-s 10 --processes 1|2 --sim-processes N --cpu-prof --no-write
// The database: a fresh one from createTestDatabase() (LABFLEET_TEST_PG_URL names the PostgreSQL server to create it
// on; without it an embedded one is started). Loopback only; bounded by HARD_LIMIT_MS.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@labfleet/db/test-db";
import { freePort } from "@labfleet/e2e/built-server";
import {
  ADMIN,
  type ControlPlane,
  cpuMeter,
  createFleet,
  databaseNote,
  FleetWatcher,
  loadavg,
  machineJiffies,
  machineNote,
  parseFlags,
  percentile,
  pgBackendPids,
  processRssBytes,
  removeDir,
  runBench,
  SimWorker,
  sleep,
  startControlPlane,
  storedBetween,
  sumStats,
  tempDir,
  topOfProfile,
  UsageError,
  waitFor,
  writeResults,
} from "./load-kit.ts";
import type { WorkerStats } from "./sim-worker.ts";
import { TrpcHttp } from "./trpc-http.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const HARD_LIMIT_MS = 20 * 60_000;
const P99_TARGET_MS = 250;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/2";

const started = performance.now();
const step = (what: string) =>
  process.stderr.write(`[ingest ${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

interface StepResult {
  devices: number;
  sent: number;
  stored: number;
  dropped: number;
  refused: number;
  latencies: number;
  p50: number;
  p99: number;
  max: number;
  seenDevices: number;
  serverCores: number;
  simCores: number;
  pgCores: number;
  machineBusy: number;
  rssMB: number;
  rssGrowthMB: number;
  loadBefore: string;
  /** Connected at the end of the window, and connections made during it (0 when nobody dropped out). */
  connected: number;
  reconnects: number;
  ok: boolean;
}

/** Milliseconds for the table; a sample still missing 2 s after the window is "late". */
const ms = (v: number) => (v === Number.POSITIVE_INFINITY ? "late" : v.toFixed(0));

/** Starts profiling a control plane through its inspector; `done` gives the profile's file after `seconds`. */
async function startProfile(port: number, seconds: number, out: string): Promise<{ done: Promise<string> }> {
  const child = spawn(
    process.execPath,
    [
      "--experimental-websocket",
      "--no-warnings",
      "--import",
      "tsx",
      path.join(here, "cpu-profile.ts"),
      String(port),
      String(seconds),
      out,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let text = "";
  const lines = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      text += b.toString();
      if (text.includes("started")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the profiler exited with code ${code} before starting`)));
  });
  await lines;
  const done = new Promise<string>((resolve, reject) => {
    if (child.exitCode !== null) return child.exitCode === 0 ? resolve(out) : reject(new Error("the profiler failed"));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`the profiler exited with ${code}`))));
  });
  return { done };
}

/** What to undo, newest first; on success, failure, or when the hard limit strikes. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0)
    await cleanups
      .shift()?.()
      .catch(() => undefined);
}

const USAGE =
  "usage: npm run bench:ingest -- [--steps 500,1000,...] [--window-s 30] [--warmup-s 10] [--processes 1|2] " +
  "[--sim-processes 2] [--cpu-prof] [--keep-going] [--no-write]";

function parse() {
  const values = parseFlags(
    {
      steps: { type: "string", default: "500,1000,2000,3000,5000" },
      "window-s": { type: "string", default: "30" },
      "warmup-s": { type: "string", default: "10" },
      processes: { type: "string", default: "1" },
      "sim-processes": { type: "string", default: "2" },
      "cpu-prof": { type: "boolean", default: false },
      "keep-going": { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
    },
    USAGE,
  );
  const steps = values.steps.split(",").map((s) => Number(s.trim()));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000) || steps.length > 10)
    throw new UsageError("--steps: up to 10 whole numbers from 1 to 10000");
  for (let i = 1; i < steps.length; i++)
    if ((steps[i] as number) <= (steps[i - 1] as number)) throw new UsageError("--steps must increase");
  const windowS = Number(values["window-s"]);
  const warmupS = Number(values["warmup-s"]);
  if (!(windowS >= 5 && windowS <= 120)) throw new UsageError("--window-s: 5..120");
  if (!(warmupS >= 0 && warmupS <= 60)) throw new UsageError("--warmup-s: 0..60");
  const processes = Number(values.processes);
  if (processes !== 1 && processes !== 2) throw new UsageError("--processes: 1 or 2");
  const simProcesses = Number(values["sim-processes"]);
  if (!Number.isInteger(simProcesses) || simProcesses < 1 || simProcesses > 8)
    throw new UsageError("--sim-processes: 1..8");
  return { ...values, steps, windowS, warmupS, processes, simProcesses };
}

async function main(): Promise<number> {
  const args = parse();
  if (process.platform !== "linux") throw new Error("bench:ingest reads /proc: Linux only");
  const work = tempDir("labfleet-bench-ingest-");
  cleanups.unshift(async () => removeDir(work));

  step(`a fresh database (${process.env.LABFLEET_TEST_PG_URL ? "LABFLEET_TEST_PG_URL" : "embedded PostgreSQL"})`);
  const db = await createTestDatabase();
  cleanups.unshift(() => db.close());
  const dbName = new URL(db.databaseUrl).pathname.slice(1);

  const servers: ControlPlane[] = [];
  // --cpu-prof: each control plane listens for an inspector, and each step's window is profiled through it.
  const inspectPorts = await Promise.all(Array.from({ length: args.processes }, () => freePort()));
  for (let i = 0; i < args.processes; i++) {
    step(
      `starting control plane ${i + 1}/${args.processes}${args.processes > 1 ? ` with REDIS_URL=${REDIS_URL}` : ""}`,
    );
    const cp = await startControlPlane({
      port: await freePort(),
      databaseUrl: db.databaseUrl,
      dataDir: path.join(work, `data-${i}`),
      env: args.processes > 1 ? { REDIS_URL } : {},
      nodeArgs: args["cpu-prof"] ? [`--inspect=127.0.0.1:${inspectPorts[i]}`] : [],
    });
    servers.push(cp);
    cleanups.unshift(() => cp.stop());
  }
  const serverPids = () => servers.map((s) => s.child.pid ?? 0);
  const rss = () => serverPids().reduce((n, p) => n + (processRssBytes(p) ?? 0), 0);
  const first = servers[0] as ControlPlane;

  // The dashboard watches the fleet on the first process; with two, half the devices report to the other.
  const api = await TrpcHttp.signIn(first.url, ADMIN.email, ADMIN.password);
  const watcher = new FleetWatcher(first.url, api.cookieHeader);
  cleanups.unshift(async () => watcher.close());
  await watcher.subscribe();

  const maxDevices = args.steps.at(-1) as number;
  step(`writing ${maxDevices} devices with credentials into the database`);
  const fleet = await createFleet(db.prisma, maxDevices, "ingest");

  const workers = Array.from({ length: args.simProcesses }, () => new SimWorker(work));
  cleanups.unshift(() => Promise.all(workers.map((w) => w.stop())));
  const simPids = () => workers.map((w) => w.pid);
  const allStats = () => Promise.all(workers.map((w) => w.stats()));

  await sleep(2000);
  const rss0 = rss();
  // The control plane with no device: its jobs and timers, which the per-1,000 figures leave out.
  const endIdle = cpuMeter(serverPids);
  await sleep(5000);
  const idleCores = endIdle();
  step(`idle control plane: ${idleCores.toFixed(2)} cores, RSS ${(rss0 / 1e6).toFixed(0)} MB`);
  const results: StepResult[] = [];
  /** The last step's profile summary, for the record. */
  let profile: string[] = [];
  let running = 0;
  let seed = 1;
  for (const target of args.steps) {
    // The new devices, split over the simulator processes, each process reporting to one control plane.
    const batch = fleet.slice(running, target);
    const per = Math.ceil(batch.length / workers.length);
    await Promise.all(
      workers.map((w, i) =>
        w.add((servers[i % servers.length] as ControlPlane).url, batch.slice(i * per, (i + 1) * per), {
          seed: seed++,
          intervalMs: 1000,
        }),
      ),
    );
    running = target;
    step(`${target} devices started; waiting for every one to connect`);
    const connectedAll = await waitFor(
      `${target} devices connected`,
      async () => sumStats(await allStats()).connected >= target,
      60_000 + target * 20,
    ).then(
      () => true,
      () => false,
    );
    // Not all connected: measured anyway (the table says how many were), and the step fails.
    step(`${connectedAll ? "all" : "NOT all"} connected; warming up ${args.warmupS} s`);
    await sleep(args.warmupS * 1000);

    const profiles = args["cpu-prof"]
      ? await Promise.all(
          inspectPorts.map((port, i) =>
            startProfile(port, args.windowS, path.join(work, `step-${target}-cp-${i + 1}.cpuprofile`)),
          ),
        )
      : [];
    const loadBefore = loadavg();
    const before = await allStats();
    const from = Math.min(...before.map((s) => s.at));
    watcher.record(from);
    const endServer = cpuMeter(serverPids);
    const endSim = cpuMeter(simPids);
    const endPg = cpuMeter(() => pgBackendPids(dbName));
    const m0 = machineJiffies();
    await sleep(args.windowS * 1000);
    const after = await allStats();
    const serverCores = endServer();
    const simCores = endSim();
    const pgCores = endPg();
    const m1 = machineJiffies();
    const rssNow = rss();
    const profileFiles = await Promise.all(profiles.map((p) => p.done));
    // Latencies of the samples taken inside the window; the last ones may still be in flight.
    await sleep(2000);
    watcher.stop();

    // Let the acks of the window's last samples come back, then count rows.
    await waitFor(
      "the acks of the window's samples",
      async () => {
        const s = sumStats(await allStats());
        return s.stored + s.refused >= sumStats(after).sent;
      },
      15_000,
    ).catch(() => step("some acks did not come back within 15 s (counted as whatever the table holds)"));
    let sent = 0;
    let stored = 0;
    let dropped = 0;
    const latencies: number[] = [];
    const seenDevices = new Set<string>();
    for (let i = 0; i < workers.length; i++) {
      const b = before[i] as WorkerStats;
      const a = after[i] as WorkerStats;
      const ids = (workers[i] as SimWorker).deviceIds;
      const rows = await storedBetween(db.pool, ids, b.at, a.at);
      sent += a.sent - b.sent;
      stored += rows;
      dropped += Math.max(0, a.sent - b.sent - rows);
      // The dashboard's arrivals of the same samples: this worker's devices, timestamps in its window.
      const mine = new Set(ids);
      for (const x of watcher.arrivals) {
        if (x.ts > b.at && x.ts <= a.at && mine.has(x.deviceId)) {
          latencies.push(x.latencyMs);
          seenDevices.add(x.deviceId);
        }
      }
    }
    const s0 = sumStats(before);
    const s1 = sumStats(after);
    // A sample that had not reached the dashboard 2 s after the window is later than any that did.
    const missing = Math.max(0, sent - latencies.length);
    const padded = [...latencies, ...Array.from({ length: missing }, () => Number.POSITIVE_INFINITY)];
    const p99 = percentile(padded, 99);
    const r: StepResult = {
      devices: target,
      sent,
      stored,
      dropped,
      refused: s1.refused - s0.refused,
      latencies: latencies.length,
      p50: percentile(padded, 50),
      p99,
      max: missing > 0 ? Number.POSITIVE_INFINITY : latencies.length ? Math.max(...latencies) : Number.NaN,
      seenDevices: seenDevices.size,
      serverCores,
      simCores,
      pgCores,
      machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
      rssMB: rssNow / 1e6,
      rssGrowthMB: (rssNow - rss0) / 1e6,
      loadBefore,
      connected: s1.connected,
      reconnects: s1.connects - s0.connects,
      // A device that lost its connection sends nothing meanwhile (the simulator keeps no buffer): not clean.
      ok:
        dropped === 0 &&
        s1.refused === s0.refused &&
        p99 < P99_TARGET_MS &&
        s1.connected >= target &&
        s1.connects === s0.connects,
    };
    results.push(r);
    if (profileFiles.length > 0) {
      profile = profileFiles.flatMap((f, i) => {
        const t = topOfProfile(f, 20);
        const line = (c: { what: string; pct: number }) => `  ${c.pct.toFixed(1).padStart(5)} %  ${c.what}`;
        return [
          `control plane ${i + 1} at ${target} devices: ${t.busyS.toFixed(1)} s busy in the ${args.windowS} s window; share of the busy time`,
          "by package:",
          ...t.packages.slice(0, 12).map(line),
          "by function (self time):",
          ...t.functions.map(line),
        ];
      });
      process.stdout.write(`\n${profile.join("\n")}\n\n`);
    }
    step(
      `${target}: sent ${sent}, stored ${stored}, dropped ${dropped}, p99 ${ms(p99)} ms, ` +
        `server ${serverCores.toFixed(2)} cores, sim ${simCores.toFixed(2)} cores, PostgreSQL ${pgCores.toFixed(2)} cores, RSS ${r.rssMB.toFixed(0)} MB`,
    );
    if (!r.ok && !args["keep-going"]) {
      step(`step ${target} missed the target; not going higher`);
      break;
    }
  }

  step("stopping");
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(servers.map((s) => s.stop()));
  const best = results.filter((r) => r.ok).at(-1);
  const rows = [
    "| devices | sent | stored | dropped | dashboard p50 / p99 / max ms | at the dashboard within 2 s (devices) | server cores | server cores per 1,000 above idle | server RSS MB | RSS growth per 1,000 MB | simulator cores | PostgreSQL cores | machine busy | loadavg before | met |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.devices}${r.connected < r.devices ? ` (${r.connected} connected)` : ""}${r.reconnects ? ` (${r.reconnects} reconnects)` : ""} | ${r.sent} | ${r.stored} | ${r.dropped}${r.refused ? ` (+${r.refused} refused)` : ""} | ` +
        `${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.max)} | ${r.latencies} (${r.seenDevices}) | ` +
        `${r.serverCores.toFixed(2)} | ${(Math.max(0, r.serverCores - idleCores) / (r.devices / 1000)).toFixed(2)} | ${r.rssMB.toFixed(0)} | ` +
        `${(r.rssGrowthMB / (r.devices / 1000)).toFixed(1)} | ${r.simCores.toFixed(2)} | ${r.pgCores.toFixed(2)} | ${(r.machineBusy * 100).toFixed(0)} % | ` +
        `${r.loadBefore} | ${r.ok ? "yes" : "NO"} |`,
    ),
  ];
  const verdict = best
    ? `Largest step with nothing dropped and p99 < ${P99_TARGET_MS} ms: **${best.devices} devices**.`
    : `No step met the target (nothing dropped, p99 < ${P99_TARGET_MS} ms).`;
  process.stdout.write(`\n${rows.join("\n")}\n\n${verdict}\n`);

  if (!args["no-write"]) {
    const argv = process.argv.slice(2).join(" ");
    await writeResults(args.processes > 1 ? "ingest-2" : "ingest", [
      `Last run: \`npm run bench:ingest${argv ? ` -- ${argv}` : ""}\`, ${new Date().toISOString()}, on ${machineNote()}; ` +
        `database: ${databaseNote()}; ` +
        `window ${args.windowS} s after a ${args.warmupS} s warm-up; ${args.simProcesses} simulator processes; ` +
        `idle control plane${args.processes > 1 ? "s" : ""}: ${idleCores.toFixed(2)} cores, RSS ${(rss0 / 1e6).toFixed(0)} MB` +
        `${process.env.BENCH_SERVER_ENTRY ? `; server build: \`BENCH_SERVER_ENTRY=${process.env.BENCH_SERVER_ENTRY}\`` : ""}.`,
      "",
      ...rows,
      "",
      verdict,
      ...(profile.length ? ["", "```", ...profile, "```"] : []),
    ]);
  }
  return best ? 0 : 1;
}

runBench("bench:ingest", main, cleanUp, HARD_LIMIT_MS);
