// Shared parts of the load benches (bench:ingest, bench:storm): the built control plane started on a port of our
// choosing (so that a restart comes back where the devices expect it), a fleet of devices written straight into
// the database (enrollment is not what these benches measure), simulator worker processes. The /proc readers
// (meters.ts) and a bench's flags, clean-up and results (bench-run.ts) have files of their own, re-exported here.
import { type ChildProcess, fork, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PrismaClient } from "@labfleet/db";
import { stopProcess } from "@labfleet/e2e/built-server";
import { DASHBOARD_NAMESPACE, type DeviceSummary, type DevicesUpdated } from "@labfleet/protocol";
import { io, type Socket } from "socket.io-client";
import { type DeviceCredential, writeState } from "../state-file.ts";
import { repoRoot } from "./bench-run.ts";
import type { WorkerReply, WorkerRequest, WorkerStats } from "./sim-worker.ts";

export * from "./bench-run.ts";
export * from "./meters.ts";

export const ADMIN = { email: "bench@example.test", password: "correct-horse-battery-bench" };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(250);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export interface ControlPlane {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGTERM (graceful, as a service manager stops it) or SIGKILL; resolves once it exited. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export interface ControlPlaneOptions {
  port: number;
  databaseUrl: string;
  /** Kept across restarts (auth secret, admin, blob store); the caller removes it. */
  dataDir: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Called as soon as the process exists, before it answers (the storm bench samples its CPU from the start). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * The built control plane (apps/web/dist/server.js) started as the end-to-end tests start it, but on a given port
 * and data folder, so that the storm bench can stop it and start it again where the devices reconnect.
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  // BENCH_SERVER_ENTRY: another build of the same server (a change measured before it is committed).
  const entry = process.env.BENCH_SERVER_ENTRY ?? path.join(repoRoot, "apps/web/dist/server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: the control plane must be built (npm run build)`);
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(o.port),
      HOST: "127.0.0.1",
      LABFLEET_PUBLIC_URL: url,
      LABFLEET_DATA_DIR: o.dataDir,
      LABFLEET_ADMIN_EMAIL: ADMIN.email,
      LABFLEET_ADMIN_PASSWORD: ADMIN.password,
      LABFLEET_LOCAL_AGENT: "0",
      LOG_LEVEL: "error",
      DATABASE_URL: o.databaseUrl,
      ...o.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  o.onSpawn?.(child);
  const cp: ControlPlane = {
    url,
    port: o.port,
    child,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (signal === "SIGKILL") {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGKILL");
        await exited;
      } else {
        await stopProcess(child, 15_000);
      }
    },
  };
  try {
    await waitFor(
      `the control plane on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the control plane exited with code ${child.exitCode}`);
        return fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
      },
      120_000,
    );
  } catch (e) {
    await cp.stop("SIGKILL");
    throw e;
  }
  return cp;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * `count` devices with a credential each, written in bulk as enrollment would leave them, so that thousands exist in
 * a second rather than after thousands of enrollments (which the rate limits would also rightly slow down).
 */
export async function createFleet(prisma: PrismaClient, count: number, prefix: string): Promise<DeviceCredential[]> {
  const creds: DeviceCredential[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${i.toString().padStart(5, "0")}${randomBytes(4).toString("hex")}`;
    creds.push({
      index: i,
      hostname: `${prefix}-${i}`,
      deviceId: id,
      secret: `lfd_${randomBytes(32).toString("base64url")}`,
    });
  }
  for (let i = 0; i < creds.length; i += 1000) {
    const chunk = creds.slice(i, i + 1000);
    await prisma.device.createMany({
      data: chunk.map((c) => ({ id: c.deviceId, name: c.hostname, hostname: c.hostname, simulated: true })),
    });
    await prisma.deviceCredential.createMany({
      data: chunk.map((c) => ({
        deviceId: c.deviceId,
        secretHash: createHash("sha256").update(c.secret).digest("hex"),
      })),
    });
  }
  return creds;
}

/** One simulator process (its own event loop, its own CPU) holding batches of devices; driven over IPC. */
export class SimWorker {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<number, (r: WorkerReply) => void>();
  /** Ids of every device this worker runs, for counting their rows. */
  readonly deviceIds: string[] = [];

  constructor(private readonly dir: string) {
    this.child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), "sim-worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: WorkerReply) => {
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Starts a batch of devices against `url`, reporting every `intervalMs` (null: as the server asks). */
  async add(url: string, creds: DeviceCredential[], opts: { seed: number; intervalMs: number | null }): Promise<void> {
    if (creds.length === 0) return;
    const stateFile = path.join(this.dir, `sim-${this.pid}-${opts.seed}.json`);
    // Indices 0..n-1 of this batch's own state file: the simulator finds every credential and enrolls none.
    writeState(
      stateFile,
      url,
      creds.map((c, index) => ({ ...c, index })),
    );
    await this.ask({
      type: "start",
      url,
      stateFile,
      devices: creds.length,
      seed: opts.seed,
      intervalMs: opts.intervalMs,
    });
    this.deviceIds.push(...creds.map((c) => c.deviceId));
  }

  private ask(req: DistributiveOmit<WorkerRequest, "id">): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`simulator worker ${this.pid}: no answer to ${req.type}`));
      }, 60_000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      });
      this.child.send({ ...req, id });
    });
  }

  async stats(): Promise<WorkerStats> {
    const r = await this.ask({ type: "stats" });
    if (!r.stats) throw new Error("the worker sent no stats");
    return r.stats;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.ask({ type: "stop" }).catch(() => undefined);
    await stopProcess(this.child, 5000);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function sumStats(all: WorkerStats[]): WorkerStats {
  return all.reduce(
    (a, s) => ({
      at: Math.max(a.at, s.at),
      connected: a.connected + s.connected,
      sent: a.sent + s.sent,
      stored: a.stored + s.stored,
      refused: a.refused + s.refused,
      connects: a.connects + s.connects,
    }),
    { at: 0, connected: 0, sent: 0, stored: 0, refused: 0, connects: 0 },
  );
}

/**
 * A dashboard as the fleet page is: signed in with the session cookie, subscribed to the fleet room, where the
 * server pushes the summaries (with their latest samples) of the devices that reported, a few times a second. The
 * agent-to-dashboard latency is arrival time minus the sample's own timestamp (same machine, same clock).
 */
export class FleetWatcher {
  private readonly socket: Socket;
  /** Every sample that arrived while recording: its device, its timestamp, its latency (ms). */
  arrivals: { deviceId: string; ts: number; latencyMs: number }[] = [];
  private recordingFrom: number | null = null;
  private readonly lastTs = new Map<string, number>();

  constructor(url: string, cookie: string) {
    this.socket = io(`${url}${DASHBOARD_NAMESPACE}`, {
      transports: ["websocket"],
      extraHeaders: { cookie, origin: url },
      forceNew: true,
    });
    this.socket.on("device:updated", (d: DeviceSummary) => this.arrived(d, Date.now()));
    this.socket.on("devices:updated", ({ devices }: DevicesUpdated) => {
      const now = Date.now();
      for (const d of devices) this.arrived(d, now);
    });
  }

  private arrived(d: DeviceSummary, now: number): void {
    const ts = d.latest?.ts;
    // One arrival per sample: a summary re-sent without a new sample (a disconnect, an inventory) is no latency.
    if (ts === undefined || (this.lastTs.get(d.id) ?? -1) >= ts) return;
    this.lastTs.set(d.id, ts);
    if (this.recordingFrom !== null && ts > this.recordingFrom)
      this.arrivals.push({ deviceId: d.id, ts, latencyMs: now - ts });
  }

  async subscribe(): Promise<number> {
    await waitFor("the dashboard socket connected", () => this.socket.connected, 30_000);
    const snapshot = (await this.socket.timeout(60_000).emitWithAck("fleet:subscribe", {})) as {
      ok: boolean;
      data?: unknown[];
      error?: { code: string };
    };
    if (!snapshot.ok) throw new Error(`fleet:subscribe refused: ${JSON.stringify(snapshot.error)}`);
    return snapshot.data?.length ?? 0;
  }

  /** Keeps the samples taken after `from` that arrive from now on (and drops what was kept before). */
  record(from: number): void {
    this.arrivals = [];
    this.recordingFrom = from;
  }

  stop(): void {
    this.recordingFrom = null;
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

/** Samples of these devices stored with a timestamp in (after, upTo] (epoch ms), counted in the telemetry table. */
export async function storedBetween(
  pool: { query(sql: string, values: unknown[]): Promise<{ rows: { n: string }[] }> },
  deviceIds: readonly string[],
  after: number,
  upTo: number,
): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::text AS n FROM "telemetry"
     WHERE "device_id" = ANY($1::text[])
       AND "ts" > 'epoch'::timestamptz + $2::bigint * interval '1 millisecond'
       AND "ts" <= 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'`,
    [deviceIds, after, upTo],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Where a V8 .cpuprofile's busy time went (idle left out): the most expensive functions by self time, and the same
 * time summed by package (node_modules/<name>, node internals, the app's own bundle, native and GC).
 */
export function topOfProfile(file: string, n: number): { functions: Cost[]; packages: Cost[]; busyS: number } {
  const prof = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
    startTime: number;
    endTime: number;
    samples?: number[];
  };
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let busy = 0;
  let all = 0;
  for (const node of prof.nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const cf = node.callFrame;
    if (cf.functionName === "(idle)") continue;
    busy += hits;
    const url = cf.url.replace(/^file:\/\//, "").replace(repoRoot, "");
    const key = `${cf.functionName || "(anonymous)"}${url ? ` ${url}:${cf.lineNumber + 1}` : ""}`;
    fns.set(key, (fns.get(key) ?? 0) + hits);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.startsWith("node:") ? "node internals" : url ? url : `native: ${cf.functionName || "(anonymous)"}`);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + hits);
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([what, hits]) => ({ what, pct: (hits / (busy || 1)) * 100 }));
  const wallS = (prof.endTime - prof.startTime) / 1e6;
  return { functions: top(fns), packages: top(pkgs), busyS: all > 0 ? (wallS * busy) / all : 0 };
}
export interface Cost {
  what: string;
  /** Share of the busy (non-idle) time. */
  pct: number;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
