import { readFile } from "node:fs/promises";
import type { EvaluationItem } from "@labfleet/protocol";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import type { CachedFile, PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole, findFileWithRole } from "./files.ts";
import { seededRandom } from "./inputs.ts";
import { TaskError } from "./task-error.ts";
import { decodeWavPcm16Mono } from "./wav.ts";

/** One 32 ms frame at 16 kHz, with the 64 samples of context that Silero VAD v5's own wrapper puts before it. */
const WINDOW = 512;
const CONTEXT = 64;
const RATE = 16_000;
const SAMPLE_RATE = BigInt(RATE);
export const FRAME_MS = (WINDOW / RATE) * 1000;

export interface Segment {
  startMs: number;
  endMs: number;
}

/**
 * How frame probabilities become segments: Silero's own defaults (get_speech_timestamps). Speech starts at a
 * frame of at least `threshold`, and ends only after `minSilenceMs` below `threshold - 0.15`, so that one
 * uncertain frame neither starts nor ends speech; bursts shorter than `minSpeechMs` are dropped, and each
 * segment is widened by `padMs` on both sides.
 */
export const VAD_SMOOTHING = { threshold: 0.5, minSpeechMs: 250, minSilenceMs: 100, padMs: 30 } as const;

/** The VadEvalSet of @labfleet/catalog, parsed: the file comes from the server like any other input. */
const vadEvalSetSchema = z.object({
  kind: z.literal("vad"),
  sampleRate: z.literal(RATE),
  items: z
    .array(
      z.object({
        audio: z.string().min(1).max(200),
        segments: z
          .array(
            z
              .object({ startMs: z.number().min(0), endMs: z.number().min(0) })
              .refine((s) => s.endMs > s.startMs, { message: "a segment must end after it starts" }),
          )
          .max(1_000),
      }),
    )
    .min(1)
    .max(100),
});
type VadEvalSetParsed = z.infer<typeof vadEvalSetSchema>;

const evalInvalid = (message: string) => new TaskError("EVAL_SET_INVALID", message);
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function readVadEvalSet(file: CachedFile): Promise<VadEvalSetParsed> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file.path, "utf8"));
  } catch (e) {
    throw evalInvalid(`The VAD evaluation set "${file.name}" is not readable JSON: ${messageOf(e)}`);
  }
  const parsed = vadEvalSetSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw evalInvalid(`The VAD evaluation set is invalid at ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Speech segments from one probability per frame (see VAD_SMOOTHING), in ms, clipped to the recording. */
export function speechSegments(
  probs: ArrayLike<number>,
  durationMs: number,
  opts: typeof VAD_SMOOTHING = VAD_SMOOTHING,
): Segment[] {
  const release = opts.threshold - 0.15;
  const raw: Array<[number, number]> = [];
  let start = -1;
  let silenceFrom = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] ?? 0;
    if (p >= opts.threshold) {
      silenceFrom = -1;
      if (start < 0) start = i;
    } else if (start >= 0 && p < release) {
      if (silenceFrom < 0) silenceFrom = i;
      if ((i + 1 - silenceFrom) * FRAME_MS >= opts.minSilenceMs) {
        raw.push([start, silenceFrom]);
        start = -1;
        silenceFrom = -1;
      }
    }
  }
  if (start >= 0) raw.push([start, probs.length]);
  const out: Segment[] = [];
  for (const [from, to] of raw) {
    if ((to - from) * FRAME_MS < opts.minSpeechMs) continue;
    const seg = {
      startMs: Math.max(0, from * FRAME_MS - opts.padMs),
      endMs: Math.min(durationMs, to * FRAME_MS + opts.padMs),
    };
    const prev = out.at(-1);
    if (prev && seg.startMs <= prev.endMs) prev.endMs = Math.max(prev.endMs, seg.endMs);
    else out.push(seg);
  }
  return out;
}

function inside(segments: readonly Segment[], ms: number): boolean {
  return segments.some((s) => ms >= s.startMs && ms < s.endMs);
}

/**
 * Frame-level agreement: the share of the recording's 32 ms frames whose label (speech or not, taken at the
 * frame's middle) is the same in the truth and in the detection. 1 when every frame agrees.
 */
export function frameAgreement(truth: readonly Segment[], got: readonly Segment[], durationMs: number): number {
  const frames = Math.floor(durationMs / FRAME_MS);
  if (frames === 0) return 1;
  let same = 0;
  for (let i = 0; i < frames; i++) {
    const mid = (i + 0.5) * FRAME_MS;
    if (inside(truth, mid) === inside(got, mid)) same += 1;
  }
  return same / frames;
}

/** "1.20–3.78 s, 6.30–8.41 s", or "no speech". */
export function formatSegments(segments: readonly Segment[]): string {
  if (segments.length === 0) return "no speech";
  return segments.map((s) => `${(s.startMs / 1000).toFixed(2)}–${(s.endMs / 1000).toFixed(2)} s`).join(", ");
}

/**
 * Runs the recording through the model as a stream: 512-sample frames with 64 samples of the previous frame
 * before each, the recurrent state carried from one frame to the next, exactly as the benchmark times it.
 * A last partial frame is padded with zeros. Returns one speech probability per frame.
 */
async function frameProbabilities(
  ctx: TaskContext,
  session: InferenceSession,
  stateOut: string,
  samples: Float32Array,
): Promise<Float32Array> {
  const frames = Math.ceil(samples.length / WINDOW);
  const probs = new Float32Array(frames);
  const outName = session.outputNames[0] ?? "output";
  let state: Tensor = new ctx.ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
  const sr = new ctx.ort.Tensor("int64", BigInt64Array.from([SAMPLE_RATE]), []);
  for (let f = 0; f < frames; f++) {
    const input = new Float32Array(CONTEXT + WINDOW);
    const from = f * WINDOW - CONTEXT;
    for (let i = 0; i < input.length; i++) input[i] = samples[from + i] ?? 0;
    const out = await session.run({ input: new ctx.ort.Tensor("float32", input, [1, CONTEXT + WINDOW]), state, sr });
    const prob = out[outName];
    const next = out[stateOut];
    if (!prob || !next) throw new TaskError("OUTPUT_UNEXPECTED", "The VAD model gave no probability or state.");
    probs[f] = Number(prob.data[0]);
    state = next;
  }
  return probs;
}

/** The evaluation set, checked before anything runs: every recording it lists must be among the files. */
async function loadEvaluation(files: ReadonlyMap<string, CachedFile>) {
  const evalFile = findFileWithRole(files, "eval");
  if (!evalFile) return null;
  const evalSet = await readVadEvalSet(evalFile);
  const audioFiles = evalSet.items.map((item) => {
    const file = files.get(item.audio);
    if (file?.role !== "eval-audio") {
      throw evalInvalid(`The evaluation recording "${item.audio}" is not among the files.`);
    }
    return file;
  });
  return { items: evalSet.items, audioFiles };
}

async function readRecording(file: CachedFile): Promise<Float32Array> {
  let audio: ReturnType<typeof decodeWavPcm16Mono>;
  try {
    audio = decodeWavPcm16Mono(await readFile(file.path));
  } catch (e) {
    throw evalInvalid(`The evaluation recording "${file.name}" is not a readable WAV: ${messageOf(e)}`);
  }
  if (audio.sampleRate !== RATE) {
    throw evalInvalid(`The evaluation recording "${file.name}" is at ${audio.sampleRate} Hz; the set says ${RATE} Hz.`);
  }
  return audio.samples;
}

/**
 * Silero VAD v5 as it runs in a stream: one frame per inference, the recurrent state carried from each call
 * to the next. The benchmark feeds seeded noise; the evaluation runs the set's recordings and scores each by
 * frame-level agreement with the known speech segments.
 */
async function prepare(ctx: TaskContext): Promise<PreparedTask> {
  const evaluation = await loadEvaluation(ctx.files);
  const session = await ctx.ort.InferenceSession.create(fileWithRole(ctx.files, "model").path, ctx.sessionOptions);
  for (const name of ["input", "state", "sr"]) {
    if (!session.inputNames.includes(name)) {
      await session.release();
      throw new TaskError(
        "INPUT_UNSUPPORTED",
        `This is not a Silero VAD v5 model: it has inputs ${session.inputNames.join(", ")}, not input, state and sr.`,
      );
    }
  }
  const stateOut = session.outputNames[1];
  if (!stateOut) {
    await session.release();
    throw new TaskError("OUTPUT_UNEXPECTED", "This Silero VAD model has no state output.");
  }
  const b = ctx.batchSize;
  const rand = seededRandom(1);
  const audio = Float32Array.from({ length: b * (WINDOW + CONTEXT) }, () => (rand() - 0.5) * 0.2);
  const feeds: Record<string, Tensor> = {
    input: new ctx.ort.Tensor("float32", audio, [b, WINDOW + CONTEXT]),
    state: new ctx.ort.Tensor("float32", new Float32Array(2 * b * 128), [2, b, 128]),
    sr: new ctx.ort.Tensor("int64", BigInt64Array.from([SAMPLE_RATE]), []),
  };
  const task: PreparedTask = {
    async runOnce() {
      const out = await session.run(feeds);
      const next = out[stateOut];
      if (next) feeds.state = next;
    },
    async dispose() {
      await session.release();
    },
  };
  if (!evaluation) return task;
  task.evaluate = async (onItem) => {
    const items: EvaluationItem[] = [];
    for (const [i, item] of evaluation.items.entries()) {
      const samples = await readRecording(evaluation.audioFiles[i] as CachedFile);
      const durationMs = (samples.length / RATE) * 1000;
      const got = speechSegments(await frameProbabilities(ctx, session, stateOut, samples), durationMs);
      items.push({
        input: item.audio.slice(0, 200),
        expected: formatSegments(item.segments).slice(0, 500),
        got: formatSegments(got).slice(0, 500),
        score: frameAgreement(item.segments, got, durationMs),
      });
      onItem(i + 1, evaluation.items.length);
    }
    return items;
  };
  return task;
}

export const vadAdapter: TaskAdapter = { task: "vad", prepare };
