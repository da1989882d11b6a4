// `npm run bench:transport`: the floor under bench:ingest. A bare socket.io server that acks every report at once
// (no validation, no database, no dashboard) and socket.io clients that each report one simulated sample a second
// with an ack, in two processes as bench:ingest runs its simulator. What this costs is what any control plane built
// on socket.io pays on this machine before it does anything with a sample. Loopback only; bounded in time.
// Flags: --steps 1000,3000,5000 --window-s 20 --no-ack (reports without an ack: what the acks cost) --no-write.
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  cpuMeter,
  loadavg,
  machineJiffies,
  machineNote,
  parseFlags,
  runBench,
  sleep,
  UsageError,
  writeResults,
} from "./load-kit.ts";
import type { PeerReply, PeerRequest } from "./transport-peer.ts";

const HARD_LIMIT_MS = 15 * 60_000;
const CONNECT_LIMIT_MS = 120_000;
const WARM_UP_MS = 5_000;
const CLIENT_PROCESSES = 2;
const USAGE = "usage: npm run bench:transport -- [--steps 1000,3000,5000] [--window-s 20] [--no-ack] [--no-write]";

const started = performance.now();
const step = (what: string) =>
  process.stderr.write(`[transport ${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

/** A peer process and a way to ask it something and wait for its one answer. */
class Peer {
  readonly child: ChildProcess;
  private waiting: ((r: PeerReply) => void)[] = [];

  constructor() {
    const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "transport-peer.ts");
    this.child = fork(entry, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: PeerReply) => this.waiting.shift()?.(m));
  }

  ask(req: PeerRequest, timeoutMs = 30_000): Promise<PeerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${req.type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.send(req);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send({ type: "stop" } satisfies PeerRequest);
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

const live: Peer[] = [];
async function cleanUp(): Promise<void> {
  await Promise.all(live.splice(0).map((p) => p.stop().catch(() => undefined)));
}

interface Row {
  devices: number;
  sent: number;
  acked: number;
  serverCores: number;
  clientCores: number;
  busyPct: number;
  load: string;
}

async function measure(devices: number, windowS: number, ack: boolean): Promise<Row> {
  const server = new Peer();
  live.push(server);
  const { port } = await server.ask({ type: "serve" });
  const clients = Array.from({ length: CLIENT_PROCESSES }, () => new Peer());
  live.push(...clients);
  const share = Math.ceil(devices / CLIENT_PROCESSES);
  await Promise.all(
    clients.map((c, i) =>
      c.ask({
        type: "connect",
        url: `http://127.0.0.1:${port}`,
        devices: Math.min(share, devices - i * share),
        seed: 1 + i * share,
        ack,
      }),
    ),
  );
  const count = async (): Promise<{ connected: number; sent: number; acked: number }> => {
    const all = await Promise.all(clients.map((c) => c.ask({ type: "count" })));
    const total = { connected: 0, sent: 0, acked: 0 };
    for (const r of all) {
      total.connected += r.connected ?? 0;
      total.sent += r.sent ?? 0;
      total.acked += r.acked ?? 0;
    }
    return total;
  };
  const deadline = Date.now() + CONNECT_LIMIT_MS;
  while ((await count()).connected < devices) {
    if (Date.now() > deadline) throw new Error(`${devices} clients did not all connect within ${CONNECT_LIMIT_MS} ms`);
    await sleep(500);
  }
  await sleep(WARM_UP_MS);
  const load = loadavg();
  const serverCpu = cpuMeter(() => [server.child.pid ?? 0]);
  const clientCpu = cpuMeter(() => clients.map((c) => c.child.pid ?? 0));
  const j0 = machineJiffies();
  const c0 = await count();
  await sleep(windowS * 1000);
  const c1 = await count();
  const j1 = machineJiffies();
  const row: Row = {
    devices,
    sent: c1.sent - c0.sent,
    acked: c1.acked - c0.acked,
    serverCores: serverCpu(),
    clientCores: clientCpu(),
    busyPct: (100 * (j1.busy - j0.busy)) / Math.max(1, j1.total - j0.total),
    load,
  };
  await cleanUp();
  return row;
}

async function main(): Promise<number> {
  const values = parseFlags(
    {
      steps: { type: "string" },
      "window-s": { type: "string" },
      "no-ack": { type: "boolean" },
      "no-write": { type: "boolean" },
    },
    USAGE,
  );
  const steps = (values.steps ?? "1000,3000,5000").split(",").map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) throw new UsageError(`bad --steps\n${USAGE}`);
  const windowS = Number(values["window-s"] ?? 20);
  if (!Number.isFinite(windowS) || windowS < 5 || windowS > 120) throw new UsageError(`bad --window-s\n${USAGE}`);

  const rows = [
    `| devices | reports in the window | ${values["no-ack"] ? "acked (none asked)" : "acked"} | server cores | client cores | server + clients per 1,000 devices | machine busy | loadavg before |`,
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const devices of steps) {
    step(`${devices} clients`);
    const r = await measure(devices, windowS, !values["no-ack"]);
    const per1000 = ((r.serverCores + r.clientCores) / devices) * 1000;
    step(
      `${devices}: ${r.acked}/${r.sent} acked, server ${r.serverCores.toFixed(2)} cores, clients ${r.clientCores.toFixed(2)} cores`,
    );
    rows.push(
      `| ${devices} | ${r.sent} | ${r.acked} | ${r.serverCores.toFixed(2)} | ${r.clientCores.toFixed(2)} | ${per1000.toFixed(2)} | ${r.busyPct.toFixed(0)} % | ${r.load} |`,
    );
  }
  process.stdout.write(`\n${rows.join("\n")}\n`);
  if (!values["no-write"]) {
    const argv = process.argv.slice(2).join(" ");
    await writeResults("transport", [
      `Last run: \`npm run bench:transport${argv ? ` -- ${argv}` : ""}\`, ${new Date().toISOString()}, on ${machineNote()}; window ${windowS} s after a ${WARM_UP_MS / 1000} s warm-up; ${CLIENT_PROCESSES} client processes.`,
      "",
      ...rows,
    ]);
  }
  return 0;
}

runBench("bench:transport", main, cleanUp, HARD_LIMIT_MS);
