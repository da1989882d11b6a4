/** A real socket.io server speaking the agent protocol, and an AgentConnection wired to it, for the transport's tests. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "node:test";
import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  agentHandshakeSchema,
  type EventsReportInput,
  PROTOCOL_VERSION,
  type ServerToAgentEvents,
  type TelemetryReportInput,
  type TelemetrySampleInput,
  type WireError,
} from "@labfleet/protocol";
import { Server, type Socket as ServerSocket } from "socket.io";
import { DiskBuffer } from "../buffer/disk-buffer.ts";
import { type InventoryMeta, mapInventory, type RawSystemInfo } from "../collectors/inventory.ts";
import type { Sampler } from "../collectors/sampler.ts";
import type { AgentStateFile } from "../state-file.ts";
import { captureLogger } from "../testing/capture-logger.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { AgentConnection, type AgentConnectionOptions } from "../transport/agent-connection.ts";

export const SECRET = "lfd_0123456789abcdef0123456789abcdef";
export const HANDSHAKE = {
  deviceId: "dev_1",
  secret: SECRET,
  protocolVersion: PROTOCOL_VERSION,
  agentVersion: "0.1.0",
};

export type AgentServerSocket = ServerSocket<AgentToServerEvents, ServerToAgentEvents>;

export interface TestServer {
  url: string;
  port: number;
  io: Server<AgentToServerEvents, ServerToAgentEvents>;
  inventories: unknown[];
  reports: Array<{ at: number; report: TelemetryReportInput }>;
  /** Live pushes (where the server offers the lane), numbered per connection as the real server does. */
  pushes: Array<{ at: number; n: number; report: TelemetryReportInput }>;
  /** `telemetry:pushed` confirmations sent. */
  confirmations: Array<{ upTo: number; stored: number }>;
  events: EventsReportInput[];
  sockets: AgentServerSocket[];
  close(): Promise<void>;
}

export interface ServerBehaviour {
  /** A coded refusal by the namespace middleware, as the real server does it. */
  refuse?: { code: string; message: string };
  telemetryIntervalMs?: number;
  maxBatch?: number;
  telemetryAck?: (n: number) => Ack<{ stored: number }>;
  /** Offer the push lane, confirming every this many ms. */
  pushConfirmMs?: number;
  /** A refusal for push n (counted over all connections), or null to store it. */
  pushRefusal?: (n: number) => WireError | null;
  /** Take pushes but never confirm them. */
  pushSilent?: boolean;
  port?: number;
}

const cleanups: Array<() => Promise<void>> = [];
/** Runs after the current test, with the servers and agents it started. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** Call once per test file: stops every server and agent a test started. */
export function stopAfterEach(): void {
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
}

export async function startServer(b: ServerBehaviour = {}): Promise<TestServer> {
  const http: HttpServer = createServer();
  const io = new Server<AgentToServerEvents, ServerToAgentEvents>(http, { transports: ["websocket"] });
  const inventories: unknown[] = [];
  const reports: TestServer["reports"] = [];
  const events: EventsReportInput[] = [];
  const sockets: AgentServerSocket[] = [];
  const pushes: TestServer["pushes"] = [];
  const confirmations: TestServer["confirmations"] = [];
  const ns = io.of(AGENT_NAMESPACE);
  ns.use((socket, next) => {
    if (b.refuse) {
      const err = new Error(b.refuse.code) as Error & { data: unknown };
      err.data = b.refuse;
      next(err);
      return;
    }
    const hs = agentHandshakeSchema.safeParse(socket.handshake.auth);
    if (!hs.success || hs.data.secret !== SECRET) {
      const err = new Error("BAD_CREDENTIAL") as Error & { data: unknown };
      err.data = { code: "BAD_CREDENTIAL", message: "bad" };
      next(err);
      return;
    }
    next();
  });
  ns.on("connection", (socket) => {
    sockets.push(socket);
    socket.emit("config:updated", {
      telemetryIntervalMs: b.telemetryIntervalMs ?? 250,
      ...(b.maxBatch ? { maxBatch: b.maxBatch } : {}),
      ...(b.pushConfirmMs ? { pushConfirmMs: b.pushConfirmMs } : {}),
    });
    if (b.pushConfirmMs) {
      let arrived = 0;
      let stored = 0;
      let confirmed = 0;
      socket.on("telemetry:push", (payload) => {
        const n = ++arrived;
        pushes.push({ at: Date.now(), n, report: payload });
        const error = b.pushRefusal?.(pushes.length) ?? null;
        if (error) socket.emit("telemetry:refused", { push: n, error });
        else stored += payload.samples.length;
      });
      const timer = setInterval(() => {
        if (b.pushSilent || arrived === confirmed) return;
        confirmations.push({ upTo: arrived, stored });
        socket.emit("telemetry:pushed", { upTo: arrived, stored });
        confirmed = arrived;
        stored = 0;
      }, b.pushConfirmMs);
      socket.on("disconnect", () => clearInterval(timer));
    }
    socket.on("events:report", (payload, ack) => {
      events.push(payload);
      ack({ ok: true, data: { stored: payload.events.length } });
    });
    socket.on("inventory:report", (payload, ack) => {
      inventories.push(payload);
      ack({ ok: true, data: { changed: true } });
    });
    socket.on("telemetry:report", (payload, ack) => {
      reports.push({ at: Date.now(), report: payload });
      ack(b.telemetryAck?.(reports.length) ?? { ok: true, data: { stored: payload.samples.length } });
    });
  });
  await new Promise<void>((resolve) => http.listen(b.port ?? 0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const server: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    io,
    inventories,
    reports,
    pushes,
    confirmations,
    events,
    sockets,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
  cleanups.push(() => server.close());
  return server;
}

/** Polls until `predicate` holds; fails after `timeoutMs`. Every wait in these tests is bounded. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function fakeSampler(make: (n: number) => TelemetrySampleInput = sampleAt): Sampler {
  let n = 0;
  return { kind: "procfs", sample: async () => make(++n) };
}

export function sampleAt(n: number): TelemetrySampleInput {
  return {
    ts: 1_764_000_000_000 + n,
    cpuLoadPct: 12.5,
    cpuPerCorePct: [10, 15],
    loadAvg1: 0.5,
    memTotalBytes: 8_000_000_000,
    memUsedBytes: 2_000_000_000,
    memAvailableBytes: 6_000_000_000,
    cpuTempC: null,
    uptimeS: 100 + n,
  };
}

export const META: InventoryMeta = {
  hostname: "h",
  platform: "linux",
  arch: "x64",
  agentVersion: "0.1.0",
  nodeVersion: "v20",
  totalMemBytes: 1,
};

export async function recordedInventory() {
  const raw = JSON.parse(await readFile(join(FIXTURES, "vm/systeminformation.json"), "utf8")) as RawSystemInfo;
  return mapInventory(raw, META);
}

export function startAgent(serverUrl: string, overrides: Partial<AgentConnectionOptions> = {}) {
  const captured = captureLogger("debug");
  const states: AgentStateFile[] = [];
  const dir = mkdtempSync(join(tmpdir(), "labfleet-conn-"));
  const buffer = DiskBuffer.open({ dir, log: captured.log });
  const agent = new AgentConnection({
    buffer,
    serverUrl,
    handshake: HANDSHAKE,
    log: captured.log,
    sampler: fakeSampler(),
    collectInventory: recordedInventory,
    onState: (s) => states.push(s),
    backoff: { baseMs: 40, maxMs: 200 },
    connectTimeoutMs: 2_000,
    ackTimeoutMs: 2_000,
    ...overrides,
  });
  const done = agent.run();
  cleanups.push(async () => {
    await agent.stop();
    buffer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { agent, done, states, buffer, ...captured };
}
