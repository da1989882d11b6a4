import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ModelFileRef,
  type RunProgress,
  type RunStartInput,
  runStartSchema,
  type SignedRunResult,
} from "@labfleet/protocol";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { captureLogger } from "../../testing/capture-logger.ts";
import { type LocalFile, LocalModelStore } from "../local-store.ts";
import { RunManager } from "../run-manager.ts";
import type { ModelStore } from "../types.ts";
import { countScore, decodeImage } from "./tfjs.ts";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const MODEL_DIR = join(REPO, "node_modules/@vladmandic/face-api/model");
const FIXTURES = join(REPO, "packages/catalog/fixtures/faces");
const MANIFEST = "ssd_mobilenetv1_model-weights_manifest.json";
const SHARD = "ssd_mobilenetv1_model.bin";

interface FaceEvalSet {
  kind: "face-detection";
  items: Array<{ image: string; faces: number }>;
}
const evalSet = JSON.parse(readFileSync(join(FIXTURES, "eval.json"), "utf8")) as FaceEvalSet;

/** The version's files as the catalog lists them: face-api's manifest and shard, then the committed eval set. */
function versionFiles(fixtures = FIXTURES, set: FaceEvalSet = evalSet): LocalFile[] {
  return [
    { name: MANIFEST, role: "model", path: join(MODEL_DIR, MANIFEST) },
    { name: SHARD, role: "weights", path: join(MODEL_DIR, SHARD) },
    { name: "eval.json", role: "eval", path: join(fixtures, "eval.json") },
    ...set.items.map((i) => ({ name: i.image, role: "eval-image", path: join(fixtures, i.image) })),
  ];
}

async function until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A RunManager wired as the agent wires it; telemetry is not what these tests look at, so none is sampled. */
function harness(store: ModelStore) {
  const results: SignedRunResult[] = [];
  const progress: RunProgress[] = [];
  const { log } = captureLogger("warn");
  const manager = new RunManager({
    store,
    link: { reportModelStatus: () => {}, reportRunProgress: (p) => progress.push(p) },
    reportResult: (r) => results.push(r),
    deviceId: "device-1",
    deviceSecret: "device-secret-for-tests",
    subscribeSamples: () => () => {},
    log,
    cliPath: CLI,
  });
  const resultOf = async (runId: string) => {
    await until(`the result of ${runId}`, () => results.some((r) => r.runId === runId), 120_000);
    return results.find((r) => r.runId === runId) as SignedRunResult;
  };
  return { manager, progress, resultOf };
}

function runStart(runId: string, refs: ModelFileRef[], over: Partial<RunStartInput> = {}) {
  return runStartSchema.parse({
    runId,
    versionId: "version-face",
    task: "face-detection",
    runtime: "tfjs-wasm",
    files: refs,
    spec: { kind: "benchmark", iterations: 5, warmup: 1, threads: 1 },
    ...over,
  });
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "labfleet-tfjs-"));
  dirs.push(d);
  return d;
}

describe("image decoding and count scoring", () => {
  test("PNG and JPEG decode to the same RGB layout; anything else is refused", () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([255, 0, 0, 255, 0, 0, 255, 255]);
    const fromPng = decodeImage(PNG.sync.write(png));
    assert.deepEqual([fromPng.width, fromPng.height, [...fromPng.data]], [2, 1, [255, 0, 0, 0, 0, 255]]);
    const grey = new Uint8Array(8 * 8 * 4).fill(128);
    const fromJpeg = decodeImage(Buffer.from(jpeg.encode({ width: 8, height: 8, data: grey }, 95).data));
    assert.equal(fromJpeg.data.length, 8 * 8 * 3);
    assert.ok([...fromJpeg.data].every((v) => Math.abs(v - 128) <= 3));
    assert.throws(() => decodeImage(Buffer.from("GIF89a-not-supported")), /not a PNG or JPEG/);
  });

  test("a count scores 1 when right and less the further off it is, never below 0", () => {
    assert.equal(countScore(3, 3), 1);
    assert.equal(countScore(0, 0), 1);
    assert.equal(countScore(4, 3), 0.75);
    assert.equal(countScore(2, 3), 0.5);
    assert.equal(countScore(0, 1), 0);
    assert.equal(countScore(1, 5), 0);
  });
});

describe("the face detector through the real RunManager, workload child and tfjs wasm backend", () => {
  let face: { store: LocalModelStore; refs: ModelFileRef[] };
  before(async () => {
    face = await LocalModelStore.of(versionFiles());
  });

  test("a benchmark succeeds with latency stats and the tfjs version in the environment card", async () => {
    const h = harness(face.store);
    assert.deepEqual(h.manager.start(runStart("face-bench", face.refs)), { ok: true, data: { accepted: true } });
    const r = await h.resultOf("face-bench");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    const l = r.latencyMs;
    assert.ok(l);
    assert.equal(l.count, 5);
    assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max);
    assert.ok((r.throughputPerS ?? 0) > 0);
    assert.equal(r.env.runtime, "tfjs-wasm");
    const tfjsVersion = (
      JSON.parse(readFileSync(join(REPO, "node_modules/@tensorflow/tfjs/package.json"), "utf8")) as { version: string }
    ).version;
    assert.equal(r.env.runtimeVersion, tfjsVersion);
    assert.equal(r.accuracy, null);
  });

  test("a batch of 2 runs two detections per timed iteration", async () => {
    const h = harness(face.store);
    h.manager.start(
      runStart("face-batch", face.refs, { spec: { kind: "benchmark", iterations: 3, warmup: 0, batchSize: 2 } }),
    );
    const r = await h.resultOf("face-batch");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    const l = r.latencyMs;
    assert.ok(l);
    assert.equal(l.count, 3);
    // Throughput counts items (2 per iteration) over the measured time, which is about the sum of the latencies.
    const perIteration = ((r.throughputPerS ?? 0) * l.mean) / 1000;
    assert.ok(perIteration > 1.8 && perIteration <= 2.05, String(perIteration));
  });

  test("an evaluation counts the faces in every committed image, and every count is right", async () => {
    const h = harness(face.store);
    h.manager.start(runStart("face-eval", face.refs, { spec: { kind: "evaluation", warmup: 1 } }));
    const r = await h.resultOf("face-eval");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    const items = r.evaluation ?? [];
    assert.deepEqual(
      items.map((i) => [i.input, i.expected]),
      evalSet.items.map((i) => [i.image, String(i.faces)]),
    );
    // What the model really finds on the set: all seven counts right, the faceless images included.
    assert.deepEqual(
      items.map((i) => i.got),
      items.map((i) => i.expected),
    );
    assert.ok(items.every((i) => i.score === 1));
    assert.equal(r.accuracy, 1);
    assert.equal(r.latencyMs?.count, items.length);
  });

  test("a wrong count costs the item part of its score, and the accuracy says so", async () => {
    // The same photos with two counts set wrong on purpose: 1 face called 2, and a faceless image called 1.
    const dir = await tempDir();
    const wrong: FaceEvalSet = {
      kind: "face-detection",
      items: evalSet.items.map((i) =>
        i.image === "one-face.jpg" ? { ...i, faces: 2 } : i.image === "no-face-window.jpg" ? { ...i, faces: 1 } : i,
      ),
    };
    await writeFile(join(dir, "eval.json"), JSON.stringify(wrong));
    for (const i of wrong.items) await copyFile(join(FIXTURES, i.image), join(dir, i.image));
    const { store, refs } = await LocalModelStore.of(versionFiles(dir, wrong));
    const h = harness(store);
    h.manager.start(runStart("face-eval-wrong", refs, { spec: { kind: "evaluation", warmup: 0 } }));
    const r = await h.resultOf("face-eval-wrong");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    const byImage = new Map((r.evaluation ?? []).map((i) => [i.input, i]));
    assert.deepEqual(byImage.get("one-face.jpg"), { input: "one-face.jpg", expected: "2", got: "1", score: 0.5 });
    assert.deepEqual(byImage.get("no-face-window.jpg"), {
      input: "no-face-window.jpg",
      expected: "1",
      got: "0",
      score: 0,
    });
    const n = wrong.items.length;
    assert.ok(Math.abs((r.accuracy ?? 0) - (n - 1.5) / n) < 1e-9, String(r.accuracy));
  });

  test("a shard that does not match its manifest fails with MODEL_INVALID; a missing shard with FILE_MISSING", async () => {
    const dir = await tempDir();
    const cut = join(dir, SHARD);
    await writeFile(cut, readFileSync(join(MODEL_DIR, SHARD)).subarray(0, 1000));
    const bad = await LocalModelStore.of([
      { name: MANIFEST, role: "model", path: join(MODEL_DIR, MANIFEST) },
      { name: SHARD, role: "weights", path: cut },
    ]);
    const h = harness(bad.store);
    h.manager.start(runStart("face-bad", bad.refs));
    const r = await h.resultOf("face-bad");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "MODEL_INVALID", JSON.stringify(r.error));

    const lacking = await LocalModelStore.of([{ name: MANIFEST, role: "model", path: join(MODEL_DIR, MANIFEST) }]);
    const h2 = harness(lacking.store);
    h2.manager.start(runStart("face-lacking", lacking.refs));
    const r2 = await h2.resultOf("face-lacking");
    assert.equal(r2.status, "failed");
    assert.equal(r2.error?.code, "FILE_MISSING", JSON.stringify(r2.error));
    assert.match(r2.error?.message ?? "", new RegExp(SHARD.replace(".", "\\.")));
  });

  test("another task on tfjs-wasm is refused with TASK_UNSUPPORTED", async () => {
    const h = harness(face.store);
    h.manager.start(runStart("face-ocr", face.refs, { task: "ocr" }));
    const r = await h.resultOf("face-ocr");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "TASK_UNSUPPORTED", JSON.stringify(r.error));
  });
});
