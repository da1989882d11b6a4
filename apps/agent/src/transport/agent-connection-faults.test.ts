import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { telemetrySampleSchema } from "@labfleet/protocol";
import { DiskBuffer } from "../buffer/disk-buffer.ts";
import { EXIT } from "../exit-codes.ts";
import {
  fakeSampler,
  HANDSHAKE,
  onCleanup,
  sampleAt,
  startAgent,
  startServer,
  stopAfterEach,
  waitFor,
} from "../testing/agent-server.ts";
import { captureLogger } from "../testing/capture-logger.ts";
import { closedPort } from "../testing/http-stub.ts";

stopAfterEach();

describe("AgentConnection against a real socket.io server: refusals, outages and replay", () => {
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
    onCleanup(async () => {
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
