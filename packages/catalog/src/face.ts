import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { modelFileRefSchema } from "@labfleet/protocol";
import { type InstalledPackage, installedPackage } from "./packages.ts";
import type { CatalogEntry, CatalogFile, FaceEvalSet } from "./types.ts";

/** The face evaluation set, found through the package's name (the control plane runs a bundle of this code). */
export const FACE_FIXTURES_DIR = join(
  dirname(createRequire(import.meta.url).resolve("@labfleet/catalog/package.json")),
  "fixtures",
  "faces",
);

/** The detector's files under the names face-api gives them; the manifest names its shard by that name. */
export const FACE_MODEL_MANIFEST = "ssd_mobilenetv1_model-weights_manifest.json";
const FACE_MODEL_SHARD = "ssd_mobilenetv1_model.bin";
const RESERVED_FACE_NAMES = new Set([FACE_MODEL_MANIFEST, FACE_MODEL_SHARD, "eval.json"]);

/** The score from which a detection counts as a face (face-api's own default for this detector). */
export const FACE_MIN_CONFIDENCE = 0.5;

export function isFaceEvalSet(value: unknown): value is FaceEvalSet {
  if (typeof value !== "object" || value === null) return false;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  return (
    kind === "face-detection" &&
    Array.isArray(items) &&
    items.every((item: unknown) => {
      if (typeof item !== "object" || item === null) return false;
      const { image, faces } = item as { image?: unknown; faces?: unknown };
      return typeof image === "string" && typeof faces === "number" && Number.isInteger(faces) && faces >= 0;
    })
  );
}

/** The evaluation files present now; a missing or broken set leaves the entry valid, and the meta says why. */
function faceEvalFiles(dir: string): { files: CatalogFile[]; meta: Record<string, unknown> } {
  const evalPath = join(dir, "eval.json");
  const none = (note: string) => ({ files: [], meta: { evaluation: null, evaluationNote: note } });
  if (!existsSync(evalPath)) return none("No face evaluation set is present (fixtures/faces/eval.json is missing).");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(evalPath, "utf8"));
  } catch {
    return none("fixtures/faces/eval.json is not valid JSON.");
  }
  if (!isFaceEvalSet(parsed)) {
    return none(
      'fixtures/faces/eval.json is not a face evaluation set ({ kind: "face-detection", items: [{ image, faces }] }).',
    );
  }
  const images: CatalogFile[] = [];
  const skipped: string[] = [];
  for (const item of parsed.items) {
    const name = basename(item.image);
    const path = join(dir, name);
    const plain =
      name === item.image && modelFileRefSchema.shape.name.safeParse(name).success && !RESERVED_FACE_NAMES.has(name);
    if (!plain || !existsSync(path) || images.some((f) => f.name === name)) {
      skipped.push(item.image);
      continue;
    }
    images.push({ name, role: "eval-image", path });
  }
  if (images.length === 0) return none("None of the images listed in fixtures/faces/eval.json is present.");
  const faces = parsed.items.filter((i) => images.some((f) => f.name === i.image)).map((i) => i.faces);
  return {
    files: [{ name: "eval.json", role: "eval", path: evalPath }, ...images],
    meta: {
      evaluation:
        `${images.length} photos with known face counts (${faces.reduce((a, b) => a + b, 0)} faces in all, ` +
        `${faces.filter((n) => n === 0).length} without a face), cut from face-api's MIT demo photos and committed ` +
        "in the repo (packages/catalog/fixtures/faces).",
      evaluationItems: images.length,
      ...(skipped.length > 0 ? { evaluationSkipped: skipped } : {}),
    },
  };
}

function faceApiPackage(): InstalledPackage | null {
  try {
    return installedPackage("@vladmandic/face-api");
  } catch {
    return null;
  }
}

/**
 * The SSD-MobileNetV1 face detector of @vladmandic/face-api (TensorFlow.js, run on the wasm backend) with its
 * evaluation images; null when the package is not installed.
 */
export function faceDetectorEntry(fixturesDir: string = FACE_FIXTURES_DIR): CatalogEntry | null {
  const pkg = faceApiPackage();
  if (!pkg) return null;
  const modelDir = join(pkg.root, "model");
  if (!existsSync(join(modelDir, FACE_MODEL_MANIFEST)) || !existsSync(join(modelDir, FACE_MODEL_SHARD))) return null;
  const evaluation = faceEvalFiles(fixturesDir);
  return {
    slug: "face-detector",
    name: "SSD-MobileNetV1 face detector",
    description:
      "Finds faces in a photo and scores each box. The SSD-MobileNetV1 detector of face-api, as a TensorFlow.js " +
      `weights manifest with one weight shard, run on TensorFlow.js's wasm backend. Shipped in the npm package ${pkg.name} (${pkg.licence}).`,
    task: "face-detection",
    origin: "bundled",
    synthetic: false,
    licence: pkg.licence,
    sourcePackage: pkg.name,
    sourceVersion: pkg.version,
    variants: [
      {
        // The shard stores the weights quantised to uint8; they are turned back into float32 on load and the
        // network computes in float32.
        variant: "fp32",
        format: "tfjs",
        runtime: "tfjs-wasm",
        files: [
          { name: FACE_MODEL_MANIFEST, role: "model", path: join(modelDir, FACE_MODEL_MANIFEST) },
          { name: FACE_MODEL_SHARD, role: "weights", path: join(modelDir, FACE_MODEL_SHARD) },
          ...evaluation.files,
        ],
        meta: {
          architecture: "SSD MobileNet V1",
          weightStorage: "uint8-quantised, float32 after loading",
          // Any RGB image goes in; the network resizes it to 512 × 512 itself.
          inputSize: [512, 512],
          inputs: [{ name: "image", type: "int32", shape: ["H", "W", 3] }],
          outputs: [
            { name: "boxes", type: "float32", shape: ["N", 5118, 4] },
            { name: "scores", type: "float32", shape: ["N", 5118] },
          ],
          minConfidence: FACE_MIN_CONFIDENCE,
          // Node's build of the wasm backend has no worker threads: one core, with SIMD, whatever is asked.
          threading: "single-threaded (wasm SIMD)",
          // Measured: the workload process peaks at about 360 MB resident on a 640 px photo, far above the
          // files' own 6 MB, so the server's size-based estimate needs this floor.
          minMemoryBytes: 512 * 1024 * 1024,
          ...evaluation.meta,
        },
      },
    ],
  };
}
