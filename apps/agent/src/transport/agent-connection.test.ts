import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  agentHandshakeSchema,
  type EventsReportInput,
  inventorySchema,
  PROTOCOL_VERSION,
  type ServerToAgentEvents,
  type TelemetryReportInput,
  type TelemetrySampleInput,
  telemetryReportSchema,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import { Server, type Socket as ServerSocket } from "socket.io";
import { DiskBuffer } from "../buffer/disk-buffer.ts";
import { type InventoryMeta, mapInventory, type RawSystemInfo } from "../collectors/inventory.ts";
import type { Sampler } from "../collectors/sampler.ts";
import { EXIT } from "../exit-codes.ts";
import type { AgentStateFile } from "../state-file.ts";
import { captureLogger } from "../testing/capture-logger.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { closedPort } from "../testing/http-stub.ts";
import { AgentConnection, type AgentConnectionOptions } from "./agent-connection.ts";

const SECRET = "lfd_0123456789abcdef0123456789abcdef";
const HANDSHAKE = { deviceId: "dev_1", secret: SECRET, protocolVersion: PROTOCOL_VERSION, agentVersion: "0.1.0" };

type AgentServerSocket = ServerSocket<AgentToServerEvents, ServerToAgentEvents>;

interface TestServer {
  url: string;
  port: number;
  io: Server<AgentToServerEvents, ServerToAgentEvents>;
  inventories: unknown[];
  reports: Array<{ at: number; report: TelemetryReportInput }>;
  events: EventsReportInput[];
  sockets: AgentServerSocket[];
  close(): Promise<void>;
}

interface ServerBehaviour {
  /** A coded refusal by the namespace middleware, as the real server does it. */
  refuse?: { code: string; message: string };
  telemetryIntervalMs?: number;
  maxBatch?: number;
  telemetryAck?: (n: number) => Ack<{ stored: number }>;
  port?: number;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startServer(b: ServerBehaviour = {}): Promise<TestServer> {
  const http: HttpServer = createServer();
  const io = new Server<AgentToServerEvents, ServerToAgentEvents>(http, { transports: ["websocket"] });
  const inventories: unknown[] = [];
  const reports: TestServer["reports"] = [];
  const events: EventsReportInput[] = [];
  const sockets: AgentServerSocket[] = [];
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
    });
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
    events,
    sockets,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
  cleanups.push(() => server.close());
  return server;
}

/** Polls until `predicate` holds; fails after `timeoutMs`. Every wait in these tests is bounded. */
async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function fakeSampler(make: (n: number) => TelemetrySampleInput = sampleAt): Sampler {
  let n = 0;
  return { kind: "procfs", sample: async () => make(++n) };
}

function sampleAt(n: number): TelemetrySampleInput {
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

const META: InventoryMeta = {
  hostname: "h",
  platform: "linux",
  arch: "x64",
  agentVersion: "0.1.0",
  nodeVersion: "v20",
  totalMemBytes: 1,
};

async function recordedInventory() {
  const raw = JSON.parse(await readFile(join(FIXTURES, "vm/systeminformation.json"), "utf8")) as RawSystemInfo;
  return mapInventory(raw, META);
}

function startAgent(serverUrl: string, overrides: Partial<AgentConnectionOptions> = {}) {
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

describe("AgentConnection against a real socket.io server", () => {
  test("connects, reports a valid inventory, streams valid telemetry at the pushed interval, stops cleanly", async () => {
    const server = await startServer({ telemetryIntervalMs: 250 });
    const { agent, done, states, lines, text } = startAgent(server.url);
    await waitFor("three telemetry reports", () => server.reports.length >= 3);

    assert.equal(agent.currentState, "online");
    assert.equal(server.inventories.length, 1);
    assert.ok(inventorySchema.safeParse(server.inventories[0]).success);
    for (const { report } of server.reports) assert.ok(telemetryReportSchema.safeParse(report).success);
    const gap = (server.reports[2]?.at ?? 0) - (server.reports[1]?.at ?? 0);
    assert.ok(gap >= 180 && gap < 1_000, `reports ${gap} ms apart at a 250 ms interval`);

    assert.equal(await agent.stop(), EXIT.OK);
    assert.equal(await done, EXIT.OK);
    assert.deepEqual(
      states.map((s) => s.state),
      ["connecting", "online", "offline"],
    );
    assert.ok(states.every((s) => s.deviceId === "dev_1" && s.server === server.url && s.pid === process.pid));
    assert.ok(lines.some((l) => l.msg === "inventory reported"));
    assert.ok(!text().includes(SECRET), "the secret never reaches the log");
    await waitFor("the server to see the disconnect", () => server.sockets.every((s) => s.disconnected));
  });

  test("the interval the server pushes applies at once (10 s default -> 250 ms)", async () => {
    const server = await startServer({ telemetryIntervalMs: 10_000 });
    const { agent } = startAgent(server.url);
    await waitFor("the first report", () => server.reports.length >= 1);
    assert.equal(agent.telemetryIntervalMs, 10_000);
    for (const s of server.sockets) s.emit("config:updated", { telemetryIntervalMs: 250 });
    await waitFor("two more reports within a second", () => server.reports.length >= 3, 1_500);
    assert.equal(agent.telemetryIntervalMs, 250);
  });

  test("an invalid config:updated is ignored and logged", async () => {
    const server = await startServer({ telemetryIntervalMs: 250 });
    const { agent, lines } = startAgent(server.url);
    await waitFor("online", () => server.reports.length >= 1);
    for (const s of server.sockets) s.emit("config:updated", { telemetryIntervalMs: 1 });
    await waitFor("the warning", () =>
      lines.some((l) => l.msg === "ignored an invalid config:updated from the server"),
    );
    assert.equal(agent.telemetryIntervalMs, 250);
  });

  test("a final refusal (PAYLOAD_TOO_LARGE) is logged with its code, dropped, and the agent carries on", async () => {
    const server = await startServer({
      telemetryAck: (n) =>
        n === 1
          ? { ok: false, error: { code: "PAYLOAD_TOO_LARGE", message: "too big" } }
          : { ok: true, data: { stored: 1 } },
    });
    const { agent, lines, buffer } = startAgent(server.url);
    await waitFor("two reports after the refused one", () => server.reports.length >= 3);
    const refused = lines.find((l) => l.msg === "the server refused records that a resend cannot fix; dropped them");
    assert.equal(refused?.code, "PAYLOAD_TOO_LARGE");
    assert.equal(agent.currentState, "online");
    const first = server.reports[0]?.report.samples[0]?.ts;
    const resent = server.reports.slice(1).filter((r) => r.report.samples.some((x) => x.ts === first));
    assert.equal(resent.length, 0, "a refused record is not sent again");
    await waitFor("the buffer to empty", () => buffer.stats().telemetry === 0);
  });

  test("a transient refusal (INTERNAL) keeps the sample in the buffer and it is sent again", async () => {
    const server = await startServer({
      telemetryAck: (n) =>
        n === 1 ? { ok: false, error: { code: "INTERNAL", message: "db busy" } } : { ok: true, data: { stored: 1 } },
    });
    startAgent(server.url);
    await waitFor("the refused sample sent again", () => {
      const first = server.reports[0]?.report.samples[0]?.ts;
      return server.reports.slice(1).some((r) => r.report.samples.some((x) => x.ts === first));
    });
  });

  test("a sampler that throws, or a sample that fails the schema, is logged and not sent", async () => {
    const server = await startServer();
    const { lines } = startAgent(server.url, {
      sampler: fakeSampler((n) => {
        if (n === 1) throw new Error("EIO reading /proc/stat");
        if (n === 2) return { ...sampleAt(n), cpuLoadPct: 150 };
        return sampleAt(n);
      }),
    });
    await waitFor("a good report after two bad samples", () => server.reports.length >= 1);
    assert.equal(server.reports[0]?.report.samples[0]?.uptimeS, 103);
    assert.ok(lines.some((l) => l.msg === "cannot take a telemetry sample"));
    assert.ok(lines.some((l) => l.msg === "a sample failed validation; not sent"));
  });

  for (const [code, exit] of [
    ["BAD_CREDENTIAL", EXIT.CREDENTIAL_REFUSED],
    ["DEVICE_REVOKED", EXIT.CREDENTIAL_REFUSED],
    ["PROTOCOL_MISMATCH", EXIT.PROTOCOL_MISMATCH],
  ] as const) {
    test(`refused at the handshake with ${code}: exit ${exit}, no retry`, async () => {
      const server = await startServer({ refuse: { code, message: `refused: ${code}` } });
      const { done, states, lines } = startAgent(server.url);
      assert.equal(await done, exit);
      assert.deepEqual(
        states.map((s) => s.state),
        ["connecting", "offline"],
      );
      assert.deepEqual(
        states.at(-1)?.lastError && {
          code: states.at(-1)?.lastError?.code,
          message: states.at(-1)?.lastError?.message,
        },
        {
          code,
          message: `refused: ${code}`,
        },
      );
      const logged = lines.find((l) => l.msg === "the server refused this agent");
      assert.equal(logged?.code, code);
    });
  }

  test("another coded refusal (INTERNAL) is retried", async () => {
    const server = await startServer({ refuse: { code: "INTERNAL", message: "db down" } });
    const { agent, states } = startAgent(server.url);
    await waitFor("two attempts", () => states.filter((s) => s.state === "backing_off").length >= 2);
    assert.equal(states.at(-1)?.lastError?.code, "INTERNAL");
    assert.equal(await agent.stop(), EXIT.OK);
  });

  test("the bad secret is refused by this server's middleware: exit 5", async () => {
    const server = await startServer();
    const { done } = startAgent(server.url, {
      handshake: { ...HANDSHAKE, secret: "lfd_wrong_secret_wrong_secret_0000" },
    });
    assert.equal(await done, EXIT.CREDENTIAL_REFUSED);
  });

  test("device:revoked from the server: exit 5", async () => {
    const server = await startServer();
    const { done, lines } = startAgent(server.url);
    await waitFor("online", () => server.sockets.length === 1 && server.inventories.length === 1);
    server.sockets[0]?.emit("device:revoked", { reason: "revoked by teacher" });
    assert.equal(await done, EXIT.CREDENTIAL_REFUSED);
    assert.equal(lines.find((l) => l.msg.startsWith("the server revoked"))?.reason, "revoked by teacher");
  });

  test("server down: backs off with growing delays, then connects when it comes up", async () => {
    const port = await closedPort();
    const { agent, states, lines } = startAgent(`http://127.0.0.1:${port}`);
    await waitFor(
      "three failed attempts",
      () => lines.filter((l) => l.msg === "cannot connect to the server; retrying").length >= 3,
    );
    const retries = lines.filter((l) => l.msg === "cannot connect to the server; retrying");
    assert.deepEqual(
      retries.map((l) => l.attempt),
      retries.map((_, i) => i + 1),
    );
    assert.ok(retries.every((l) => typeof l.retryInMs === "number" && l.retryInMs <= 200));
    assert.equal(retries[0]?.code, "UNREACHABLE");
    assert.match(String(retries[0]?.reason), /ECONNREFUSED/);
    const backingOff = states.find((s) => s.state === "backing_off");
    assert.ok(backingOff?.nextRetryAt && backingOff.nextRetryAt > backingOff.since);

    const server = await startServer({ port });
    await waitFor("online after the server came up", () => agent.currentState === "online", 5_000);
    await waitFor("telemetry", () => server.reports.length >= 1);
  });

  test("the server drops the connection: back off, reconnect, report the inventory again", async () => {
    const server = await startServer();
    const { agent, states } = startAgent(server.url);
    await waitFor("online", () => server.inventories.length === 1);
    server.sockets[0]?.disconnect(true);
    await waitFor("a second connection", () => server.inventories.length === 2);
    assert.equal(agent.currentState, "online");
    const seq = states.map((s) => s.state);
    assert.deepEqual(seq.slice(0, 5), ["connecting", "online", "backing_off", "connecting", "online"]);
    assert.equal(states[2]?.lastError?.code, "DISCONNECTED");
  });

  test("a backlog is replayed oldest first in batches of the server's maxBatch, events once, while live samples flow", async () => {
    const server = await startServer({ telemetryIntervalMs: 250, maxBatch: 5 });
    const captured = captureLogger("debug");
    const dir = mkdtempSync(join(tmpdir(), "labfleet-conn-"));
    const buffer = DiskBuffer.open({ dir, log: captured.log });
    cleanups.push(async () => {
      rmSync(dir, { recursive: true, force: true });
    });
    for (let n = 1; n <= 23; n++) buffer.appendTelemetry(telemetrySampleSchema.parse(sampleAt(-100 + n)));
    buffer.appendEvent({ key: "backlog-event-1", ts: 1_764_000_000_000, kind: "agent.started", data: {} });
    buffer.close();

    const reopened = DiskBuffer.open({ dir, log: captured.log });
    const { agent } = startAgent(server.url, { buffer: reopened });
    agent.reportEvent("collector.failed", { collector: "test" });
    const replayed = () =>
      server.reports.flatMap((r) => r.report.samples).filter((x) => (x.uptimeS ?? 0) < 100 && (x.uptimeS ?? 0) > 0);
    await waitFor("the whole backlog", () => replayed().length >= 23);
    await waitFor("a live sample", () =>
      server.reports.some((r) => r.report.samples.some((x) => (x.uptimeS ?? 0) > 100)),
    );
    assert.ok(
      server.reports.every((r) => r.report.samples.length <= 5),
      "no batch over maxBatch",
    );
    assert.deepEqual(
      replayed().map((x) => x.uptimeS),
      Array.from({ length: 23 }, (_, i) => i + 1),
      "oldest first, each once",
    );
    await waitFor("both events", () => server.events.flatMap((e) => e.events).length >= 2);
    const keys = server.events.flatMap((e) => e.events.map((x) => x.key));
    assert.equal(new Set(keys).size, keys.length, "each event sent once");
    assert.ok(keys.includes("backlog-event-1"));
    await waitFor("the buffer to drain", () => reopened.stats().events === 0 && reopened.stats().telemetry <= 1);
    await agent.stop();
    reopened.close();
  });

  test("while the server is down, samples become 10 s roll-ups in the buffer; the health record shows them", async () => {
    const port = await closedPort();
    const { agent, buffer, states } = startAgent(`http://127.0.0.1:${port}`, {
      sampler: fakeSampler((n) => ({ ...sampleAt(n), ts: 1_764_000_000_000 + n * 1000 })),
      defaultTelemetryIntervalMs: 250,
    });
    // 25 samples 1 s apart (by their timestamps) span three 10 s windows: two complete ones are in the buffer.
    await waitFor("two roll-ups", () => buffer.stats().telemetry >= 2, 15_000);
    const rolled = buffer.peekTelemetry(10).map((r) => r.value);
    assert.ok(rolled.every((s) => (s.aggregatedCount ?? 0) >= 1));
    assert.ok(
      rolled.some((s) => (s.aggregatedCount ?? 0) > 1),
      "several samples per roll-up",
    );
    agent.publishHealth();
    const last = states.at(-1);
    assert.equal(last?.state, "backing_off");
    assert.ok((last?.buffer?.telemetry ?? 0) >= 2);
    assert.equal(last?.lastSendAt, null);
  });
});
