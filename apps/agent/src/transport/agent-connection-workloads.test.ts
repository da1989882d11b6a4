import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Ack,
  AGENT_NAMESPACE,
  agentEventSchema,
  type RunProgress,
  type RunStart,
  type RunStartInput,
  type SignedRunResult,
  type TelemetrySample,
} from "@labfleet/protocol";
import { startAgent, startServer, stopAfterEach, type TestServer, waitFor } from "../testing/agent-server.ts";
import type { WorkloadHost } from "../workloads/types.ts";

stopAfterEach();

/** A workload host that records what the connection hands it and answers as told. */
function recordingHost(answer: (run: RunStart) => Ack<{ accepted: true }>) {
  const started: RunStart[] = [];
  const cancelled: string[] = [];
  const host: WorkloadHost = {
    start(run) {
      started.push(run);
      return answer(run);
    },
    cancel(runId) {
      cancelled.push(runId);
    },
    stopAll: async () => {},
  };
  return { host, started, cancelled };
}

const RUN: RunStartInput = {
  runId: "run_cm3x1y2z3000008l4abcd1234",
  versionId: "ver_1",
  task: "onnx-generic",
  runtime: "onnxruntime-node",
  files: [{ sha256: "a".repeat(64), sizeBytes: 10, name: "model.onnx", role: "model" }],
  spec: { kind: "benchmark", iterations: 10 },
};

function signedResult(runId: string): SignedRunResult {
  return {
    runId,
    status: "succeeded",
    startedAt: 1_764_000_000_000,
    finishedAt: 1_764_000_001_000,
    latencyMs: { count: 10, mean: 2, p50: 2, p90: 3, p95: 3, p99: 4, max: 4 },
    throughputPerS: 500,
    accuracy: null,
    evaluation: null,
    llm: null,
    system: {
      cpuLoadPctMean: 50,
      cpuTempCMax: null,
      freqMHzMean: null,
      freqMHzMax: null,
      throttledShare: null,
      powerWMean: null,
      energyJPerInference: null,
    },
    error: null,
    env: {
      deviceId: "dev_1",
      agentVersion: "0.1.0",
      nodeVersion: "v20.20.0",
      os: "Debian 12",
      kernel: "6.1",
      arch: "x64",
      cpuModel: "test cpu",
      cpuCores: 2,
      memTotalBytes: 8_000_000_000,
      runtime: "onnxruntime-node",
      runtimeVersion: "1.30.0",
      executionProvider: "cpu",
      threads: null,
      batchSize: 1,
      modelSha256: { "model.onnx": "a".repeat(64) },
    },
    signature: "b".repeat(64),
  };
}

function serverSocket(server: TestServer) {
  const s = server.sockets.find((x) => x.connected);
  assert.ok(s, "a connected agent");
  return s;
}

describe("AgentConnection: runs", () => {
  test("run:start is parsed and answered with the workload host's own ack", async () => {
    const server = await startServer();
    const { agent } = startAgent(server.url);
    const rec = recordingHost((run) =>
      run.spec.iterations === 10
        ? { ok: true, data: { accepted: true } }
        : { ok: false, error: { code: "BUSY", message: "busy" } },
    );
    agent.serve({ runs: rec.host });
    await waitFor("online", () => agent.currentState === "online");
    const socket = serverSocket(server);

    const ok = await socket.timeout(2_000).emitWithAck("run:start", RUN);
    assert.deepEqual(ok, { ok: true, data: { accepted: true } });
    // Defaults of the spec are filled in by the schema before the host sees it.
    assert.equal(rec.started[0]?.spec.warmup, 3);
    assert.equal(rec.started[0]?.spec.executionProvider, "cpu");

    const busy = await socket
      .timeout(2_000)
      .emitWithAck("run:start", { ...RUN, spec: { kind: "benchmark", iterations: 5 } });
    assert.deepEqual(busy, { ok: false, error: { code: "BUSY", message: "busy" } });
  });

  test("a bad run:start is refused with BAD_REQUEST and never reaches the host", async () => {
    const server = await startServer();
    const { agent, lines } = startAgent(server.url);
    const rec = recordingHost(() => ({ ok: true, data: { accepted: true } }));
    agent.serve({ runs: rec.host });
    await waitFor("online", () => agent.currentState === "online");
    const socket = serverSocket(server);
    const res = (await socket
      .timeout(2_000)
      .emitWithAck("run:start", { ...RUN, spec: { kind: "benchmark" } } as RunStartInput)) as Ack<unknown>;
    assert.equal(res.ok, false);
    assert.equal(!res.ok && res.error.code, "BAD_REQUEST");
    assert.match(!res.ok ? res.error.message : "", /iterations/);
    assert.equal(rec.started.length, 0);
    assert.ok(lines.some((l) => l.msg === "refused an invalid run:start"));
  });

  test("run:cancel reaches the host; an invalid one is ignored", async () => {
    const server = await startServer();
    const { agent, lines } = startAgent(server.url);
    const rec = recordingHost(() => ({ ok: true, data: { accepted: true } }));
    agent.serve({ runs: rec.host });
    await waitFor("online", () => agent.currentState === "online");
    const socket = serverSocket(server);
    socket.emit("run:cancel", { runId: 42 } as never);
    socket.emit("run:cancel", { runId: RUN.runId });
    await waitFor("the cancel", () => rec.cancelled.length === 1);
    assert.deepEqual(rec.cancelled, [RUN.runId]);
    assert.ok(lines.some((l) => l.msg === "ignored an invalid run:cancel from the server"));
  });

  test("run progress goes out live while online; a result goes through the buffer as run.finished", async () => {
    const server = await startServer();
    const progress: RunProgress[] = [];
    server.io.of(AGENT_NAMESPACE).on("connection", (socket) => {
      socket.on("run:progress", (p, ack) => {
        progress.push(p);
        ack({ ok: true, data: { ok: true } });
      });
    });
    const { agent, buffer } = startAgent(server.url);
    // Offline: progress is dropped, the result waits in the buffer.
    agent.reportRunProgress({ runId: RUN.runId, phase: "warmup", done: 0, total: 3, elapsedMs: 1 });
    agent.reportRunResult(signedResult(RUN.runId));
    assert.equal(buffer.stats().events >= 1, true);
    await waitFor("online", () => agent.currentState === "online");
    agent.reportRunProgress({ runId: RUN.runId, phase: "measuring", done: 4, total: 10, elapsedMs: 50 });
    await waitFor("progress", () => progress.length === 1);
    assert.equal(progress[0]?.phase, "measuring");

    await waitFor("the run.finished event", () =>
      server.events.some((r) => r.events.some((e) => e.kind === "run.finished")),
    );
    const event = server.events.flatMap((r) => r.events).find((e) => e.kind === "run.finished");
    assert.ok(agentEventSchema.safeParse(event).success);
    assert.equal(event?.key, `run:${RUN.runId}`);
    assert.deepEqual(event?.data, { runId: RUN.runId, status: "succeeded" });
    assert.equal(event?.result?.signature, "b".repeat(64));
    await waitFor("the buffer to empty", () => buffer.stats().events === 0);
  });

  test("every telemetry sample reaches subscribers until they unsubscribe", async () => {
    const server = await startServer({ telemetryIntervalMs: 250 });
    const { agent } = startAgent(server.url);
    const got: TelemetrySample[] = [];
    const unsubscribe = agent.subscribeSamples((s) => got.push(s));
    const thrower = agent.subscribeSamples(() => {
      throw new Error("listener bug");
    });
    await waitFor("two samples", () => got.length >= 2);
    unsubscribe();
    thrower();
    const n = got.length;
    await waitFor("two more reports", () => server.reports.length >= n + 2);
    assert.equal(got.length, n);
  });
});
