import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { EvaluationItem } from "@labfleet/protocol";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { z } from "zod";
import type { WorkloadJob } from "../ipc.ts";
import { fileWithRole } from "../tasks/files.ts";
import { TaskError } from "../tasks/task-error.ts";
import type { CachedFile, PreparedTask, RuntimeBinding } from "../types.ts";
import { findRuntimePackage, importRuntimePackage } from "./packages.ts";

type Tf = typeof import("@tensorflow/tfjs");
type TfWasm = typeof import("@tensorflow/tfjs-backend-wasm");
type FaceApi = typeof import("@vladmandic/face-api");
type Tensor3D = import("@tensorflow/tfjs").Tensor3D;

/** The packages this runtime needs, all found beside the agent or in LABFLEET_AGENT_RUNTIME_DIRS. */
export const TFJS_PACKAGES = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@vladmandic/face-api"] as const;

/** face-api's build for Node on the wasm backend: it requires @tensorflow/tfjs and the wasm backend itself. */
const FACE_API_WASM_BUILD = "dist/face-api.node-wasm.js";

/** A detection counts as a face from this score (face-api's default for SSD-MobileNetV1). */
export const FACE_MIN_CONFIDENCE = 0.5;

const MAX_IMAGE_PIXELS = 40_000_000;

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2_000) || "unknown error";
}

/** CommonJS packages imported from ESM put their exports on the namespace or on `default`, by loader. */
function cjs<T extends object>(mod: T & { default?: T }, probe: keyof T): T {
  return probe in mod && mod[probe] !== undefined ? mod : ((mod.default ?? mod) as T);
}

function packageDir(name: string): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    return findRuntimePackage(name);
  }
}

/** An RGB image, 3 bytes a pixel, row by row. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG or a baseline/progressive JPEG (told apart by their signatures) into RGB, without a canvas. */
export function decodeImage(bytes: Buffer): RgbImage {
  const isPng = bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error("not a PNG or JPEG file");
  const rgba = isPng
    ? PNG.sync.read(bytes)
    : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
  const { width, height } = rgba;
  if (width * height > MAX_IMAGE_PIXELS) throw new Error(`the image is too large (${width} × ${height})`);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    data[p * 3] = rgba.data[q] as number;
    data[p * 3 + 1] = rgba.data[q + 1] as number;
    data[p * 3 + 2] = rgba.data[q + 2] as number;
  }
  return { width, height, data };
}

/** 1 for the right count, less the further off it is, relative to the true count (at least 1). */
export function countScore(expected: number, got: number): number {
  if (expected === got) return 1;
  return Math.max(0, 1 - Math.abs(got - expected) / Math.max(expected, 1));
}

const manifestSchema = z
  .array(
    z.object({
      paths: z.array(z.string().min(1)).min(1),
      weights: z.array(
        z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.string() }).passthrough(),
      ),
    }),
  )
  .min(1);

const faceEvalSetSchema = z.object({
  kind: z.literal("face-detection"),
  items: z
    .array(z.object({ image: z.string().min(1), faces: z.number().int().min(0).max(10_000) }))
    .min(1)
    .max(100),
});

const modelInvalid = (message: string) => new TaskError("MODEL_INVALID", message);
const evalInvalid = (message: string) => new TaskError("EVAL_SET_INVALID", message);

/**
 * The tensors of a TensorFlow.js weights manifest. The cache keeps files under their SHA-256, not their names,
 * so the shards the manifest names are looked up among the version's files and decoded here.
 */
async function weightMap(
  tf: Tf,
  files: ReadonlyMap<string, CachedFile>,
): Promise<import("@tensorflow/tfjs").NamedTensorMap> {
  const manifestFile = fileWithRole(files, "model");
  let groups: z.infer<typeof manifestSchema>;
  try {
    groups = manifestSchema.parse(JSON.parse(await readFile(manifestFile.path, "utf8")));
  } catch (e) {
    throw modelInvalid(`"${manifestFile.name}" is not a TensorFlow.js weights manifest: ${messageOf(e)}`);
  }
  const map: import("@tensorflow/tfjs").NamedTensorMap = {};
  for (const group of groups) {
    const shards: Buffer[] = [];
    for (const name of group.paths) {
      const shard = files.get(name);
      if (!shard) throw new TaskError("FILE_MISSING", `The weights manifest names "${name}", which the version lacks.`);
      shards.push(await readFile(shard.path));
    }
    const bytes = Buffer.concat(shards);
    try {
      const specs = group.weights as unknown as import("@tensorflow/tfjs").io.WeightsManifestEntry[];
      Object.assign(
        map,
        tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), specs),
      );
    } catch (e) {
      throw modelInvalid(`The weight shards do not match their manifest: ${messageOf(e)}`);
    }
  }
  return map;
}

async function readEvalSet(files: ReadonlyMap<string, CachedFile>) {
  const file = [...files.values()].find((f) => f.role === "eval");
  if (!file) return null;
  let parsed: z.infer<typeof faceEvalSetSchema>;
  try {
    parsed = faceEvalSetSchema.parse(JSON.parse(await readFile(file.path, "utf8")));
  } catch (e) {
    throw evalInvalid(`"${file.name}" is not a face evaluation set: ${messageOf(e)}`);
  }
  for (const item of parsed.items) {
    if (files.get(item.image)?.role !== "eval-image") {
      throw evalInvalid(`The evaluation image "${item.image}" is not a file of this version.`);
    }
  }
  return parsed;
}

async function loadImage(files: ReadonlyMap<string, CachedFile>, name: string): Promise<RgbImage> {
  const file = files.get(name);
  if (!file) throw evalInvalid(`The evaluation image "${name}" is not a file of this version.`);
  try {
    return decodeImage(await readFile(file.path));
  } catch (e) {
    throw evalInvalid(`The evaluation image "${name}" cannot be read: ${messageOf(e)}`);
  }
}

/** A grey gradient, for timing a version that ships no image of its own. */
function syntheticImage(size = 512): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) data.fill((x + y) % 256, (y * size + x) * 3, (y * size + x) * 3 + 3);
  return { width: size, height: size, data };
}

interface Loaded {
  tf: Tf;
  wasm: TfWasm;
  faceapi: FaceApi;
  wasmDir: string;
}

async function importAll(): Promise<Loaded> {
  const tf = cjs(await importRuntimePackage<Tf & { default?: Tf }>("@tensorflow/tfjs"), "setBackend");
  const wasm = cjs(
    await importRuntimePackage<TfWasm & { default?: TfWasm }>("@tensorflow/tfjs-backend-wasm"),
    "setWasmPaths",
  );
  const wasmPkg = packageDir("@tensorflow/tfjs-backend-wasm");
  const facePkg = packageDir("@vladmandic/face-api");
  if (!wasmPkg || !facePkg) throw new Error("@tensorflow/tfjs-backend-wasm or @vladmandic/face-api is not installed");
  const faceMod = (await import(pathToFileURL(join(facePkg, FACE_API_WASM_BUILD)).href)) as FaceApi & {
    default?: FaceApi;
  };
  return { tf, wasm, faceapi: cjs(faceMod, "nets"), wasmDir: join(wasmPkg, "dist") };
}

/**
 * Picks the wasm backend, its binaries read from the package's own folder (never fetched). Threads apply only
 * where the runtime can run the threaded build (it needs workers and SharedArrayBuffer; Node's build of the
 * backend runs single-threaded), so the count used is reported back.
 */
async function startWasm({ tf, wasm, wasmDir }: Loaded, threads: number | null): Promise<number> {
  if (tf.getBackend() === "wasm") return wasm.getThreadsCount();
  wasm.setWasmPaths(`${wasmDir}/`);
  const multithread = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  if (threads !== null && multithread === true) wasm.setThreadsCount(threads);
  if (!(await tf.setBackend("wasm"))) throw new Error("the TensorFlow.js wasm backend failed to start");
  await tf.ready();
  return wasm.getThreadsCount();
}

async function prepareFaceDetection(
  loaded: Loaded,
  job: WorkloadJob,
  files: ReadonlyMap<string, CachedFile>,
): Promise<PreparedTask> {
  const { tf, faceapi } = loaded;
  await startWasm(loaded, job.threads);
  const evalSet = await readEvalSet(files);
  const net = new faceapi.SsdMobilenetv1();
  // face-api's typings carry their own copy of the tfjs types; at run time both are the one tfjs loaded here.
  net.loadFromWeightMap((await weightMap(tf, files)) as unknown as Parameters<typeof net.loadFromWeightMap>[0]);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: FACE_MIN_CONFIDENCE });
  const toTensor = (img: RgbImage): Tensor3D => tf.tensor3d(img.data, [img.height, img.width, 3], "int32");
  const count = async (input: Tensor3D): Promise<number> => (await net.locateFaces(input, options)).length;
  // runOnce times detection alone on the first evaluation image, decoded once here.
  const firstName = evalSet?.items[0]?.image;
  const sample = toTensor(firstName ? await loadImage(files, firstName) : syntheticImage());
  return {
    async runOnce() {
      for (let i = 0; i < job.spec.batchSize; i++) await count(sample);
    },
    ...(evalSet
      ? {
          async evaluate(onItem: (done: number, total: number) => void): Promise<EvaluationItem[]> {
            const out: EvaluationItem[] = [];
            for (const item of evalSet.items) {
              const input = toTensor(await loadImage(files, item.image));
              let got: number;
              try {
                got = await count(input);
              } finally {
                input.dispose();
              }
              out.push({
                input: item.image.slice(0, 200),
                expected: String(item.faces),
                got: String(got),
                score: countScore(item.faces, got),
              });
              onItem(out.length, evalSet.items.length);
            }
            return out;
          },
        }
      : {}),
    async dispose() {
      sample.dispose();
      net.dispose();
    },
  };
}

/** TensorFlow.js on its wasm backend, with face-api's SSD-MobileNetV1 face detector. */
export async function loadTfjsRuntime(): Promise<RuntimeBinding> {
  let loaded: Loaded;
  try {
    loaded = await importAll();
  } catch (e) {
    throw new TaskError(
      "RUNTIME_UNAVAILABLE",
      `TensorFlow.js (wasm) cannot be loaded on this device (${messageOf(e)}). Install it next to the agent: npm install @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15`,
    );
  }
  const { tf } = loaded;
  return {
    version: String(tf.version?.tfjs ?? tf.version_core ?? "unknown"),
    async prepare(job, files) {
      if (job.task !== "face-detection") {
        throw new TaskError("TASK_UNSUPPORTED", `The agent has no ${job.task} task for tfjs-wasm.`);
      }
      return prepareFaceDetection(loaded, job, files);
    },
  };
}
