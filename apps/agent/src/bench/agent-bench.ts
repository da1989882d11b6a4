// `npm run bench:agent`: how light the idle agent is. Runs the real bundled agent (dist/cli.js) against a
// loopback server that acknowledges everything, at a 1 s and then a 10 s telemetry interval, and measures
// the agent process from outside (/proc/PID). Sample cost is timed in this process on the same sampler.
// Flags: --seconds N (per phase, default 60), --no-write (do not update docs/BENCHMARKS.md).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ProcSampler } from "../collectors/sampler.ts";
import { shebangNodeFlags } from "../node-flags.ts";
import { type AckServer, startAckServer } from "./ack-server.ts";
import { type PhaseResult, resultTable, writeBenchmarkDoc } from "./bench-doc.ts";
import { CLOCK_TICKS_PER_S, percentile, readCpuTicks, readRssAnonBytes, readRssBytes } from "./process-stats.ts";

const AGENT_DIR = fileURLToPath(new URL("../../", import.meta.url));
const REPO = join(AGENT_DIR, "../..");
const CLI = join(AGENT_DIR, "dist/cli.js");
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** Measures the agent for `seconds`: RSS every second, CPU from the tick counters at both ends. */
async function measure(
  agent: ChildProcess,
  server: AckServer,
  intervalMs: number,
  seconds: number,
): Promise<PhaseResult> {
  const pid = agent.pid as number;
  server.setTelemetryIntervalMs(intervalMs);
  // Let the interval change land and the first report at the new rate go out before measuring.
  await sleep(Math.min(intervalMs, 3_000) + 500);
  const reportsBefore = server.telemetryReports;
  const ticks0 = await readCpuTicks(pid);
  const t0 = performance.now();
  const rss: number[] = [];
  const anon: number[] = [];
  const sampleMs: number[] = [];
  // The same sampler the agent runs, at the same cadence, timed here: the agent itself stays unchanged.
  const sampler = intervalMs === 1_000 ? new ProcSampler({ initialWindowMs: 100 }) : null;
  if (sampler) await sampler.sample();
  for (let i = 0; i < seconds && agent.exitCode === null; i++) {
    const r = await readRssBytes(pid);
    if (r !== null) rss.push(r);
    const a = await readRssAnonBytes(pid);
    if (a !== null) anon.push(a);
    if (sampler) {
      const s = performance.now();
      await sampler.sample();
      sampleMs.push(performance.now() - s);
    }
    await sleep(Math.max(0, t0 + (i + 1) * 1_000 - performance.now()));
  }
  const ticks1 = await readCpuTicks(pid);
  const wallS = (performance.now() - t0) / 1000;
  if (agent.exitCode !== null) throw new Error(`the agent exited during the phase (code ${agent.exitCode})`);
  rss.sort((a, b) => a - b);
  anon.sort((a, b) => a - b);
  sampleMs.sort((a, b) => a - b);
  return {
    intervalMs,
    wallS,
    reports: server.telemetryReports - reportsBefore,
    rssMedianMB: (percentile(rss, 50) ?? 0) / 1e6,
    rssMaxMB: (rss.at(-1) ?? 0) / 1e6,
    anonMedianMB: (percentile(anon, 50) ?? 0) / 1e6,
    cpuPct: ticks0 !== null && ticks1 !== null ? ((ticks1 - ticks0) / CLOCK_TICKS_PER_S / wallS) * 100 : null,
    sampleMedianMs: percentile(sampleMs, 50),
    sampleP95Ms: percentile(sampleMs, 95),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      "no-write": { type: "boolean", default: false },
      "node-arg": { type: "string", multiple: true, default: [] },
    },
  });
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) throw new Error("--seconds must be 1..3600");
  if (process.platform !== "linux") throw new Error("the agent benchmark reads /proc: Linux only");
  if (!existsSync(CLI) && (await run(process.execPath, ["build.mjs"], AGENT_DIR)) !== 0) {
    throw new Error("cannot build the agent");
  }

  // The agent runs with the flags its shebang names, as an installed agent does; --node-arg adds to them.
  const firstLine = (await readFile(CLI, "utf8")).slice(0, 200).split("\n")[0] ?? "";
  const nodeFlags = [...shebangNodeFlags(firstLine), ...(values["node-arg"] ?? [])];
  process.stdout.write(`agent node flags: ${nodeFlags.join(" ") || "(none)"}\n`);
  const dir = await mkdtemp(join(tmpdir(), "labfleet-bench-"));
  const server = await startAckServer(1_000);
  const configPath = join(dir, "agent.json");
  await writeFile(
    configPath,
    JSON.stringify({ serverUrl: server.url, deviceId: "bench-device", deviceSecret: "bench-secret", name: "bench" }),
    { mode: 0o600 },
  );
  const agent = spawn(process.execPath, [...nodeFlags, CLI, "run", "--config", configPath], {
    cwd: dir,
    env: { ...process.env, LABFLEET_LOG_LEVEL: "warn", LABFLEET_AGENT_STATE_DIR: dir },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await server.waitForTelemetry(1, 30_000);
    // Startup (loading, inventory through systeminformation) is not the idle cost: let it settle.
    await sleep(5_000);
    const phases = [await measure(agent, server, 1_000, seconds), await measure(agent, server, 10_000, seconds)];
    process.stdout.write(`\n${resultTable(phases).join("\n")}\n\n`);
    const first = phases[0] as PhaseResult;
    const checks = [
      ["RSS ≤ 60 MB", Math.max(...phases.map((p) => p.rssMaxMB)) <= 60],
      ["CPU ≤ 1 % of a core (1 s interval)", (first.cpuPct ?? 100) <= 1],
      ["median sample ≤ 5 ms (1 s interval)", (first.sampleMedianMs ?? 100) <= 5],
    ] as const;
    for (const [name, ok] of checks) process.stdout.write(`${ok ? "PASS" : "FAIL"}  ${name}\n`);
    if (!values["no-write"]) {
      const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`;
      await writeBenchmarkDoc(join(REPO, "docs/BENCHMARKS.md"), {
        command: `npm run bench:agent${seconds === 60 ? "" : ` -- --seconds ${seconds}`}`,
        date: new Date().toISOString(),
        machine,
        phases,
      });
      process.stdout.write("wrote docs/BENCHMARKS.md\n");
    }
    process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => (agent.exitCode !== null ? r(null) : agent.once("exit", r)));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:agent failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
