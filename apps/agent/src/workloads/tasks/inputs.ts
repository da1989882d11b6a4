import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { TaskContext } from "../types.ts";
import { TaskError } from "./task-error.ts";

/** A small, fast, seeded generator (mulberry32): the same inputs on every device for one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A concrete shape for an input: the first symbolic dimension is the batch, any other one is 1. */
export function concreteShape(shape: ReadonlyArray<number | string>, batchSize: number): number[] {
  let batchUsed = false;
  return shape.map((d) => {
    if (typeof d === "number" && d > 0) return d;
    if (!batchUsed) {
      batchUsed = true;
      return batchSize;
    }
    return 1;
  });
}

/** float16 bits of a value in [0, 1) (no subnormals needed at this range), for runtimes without Float16Array. */
function toHalfBits(v: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(v));
  const m = Math.round((v / 2 ** e - 1) * 1024);
  return ((e + 15) << 10) | (m & 0x3ff);
}

/** Seeded inputs of the right type and size: values in [0, 1) for floats, small non-negative integers otherwise. */
export function randomTensor(
  ort: TaskContext["ort"],
  type: string,
  dims: number[],
  rand: () => number,
  name: string,
): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case "float32":
      return new ort.Tensor("float32", Float32Array.from({ length: n }, rand), dims);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from({ length: n }, rand), dims);
    case "float16":
      return new ort.Tensor(
        "float16",
        Uint16Array.from({ length: n }, () => toHalfBits(rand())),
        dims,
      );
    // Integer inputs are usually ids or indices: small values stay inside any vocabulary or table.
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 10))),
        dims,
      );
    case "int32":
      return new ort.Tensor(
        "int32",
        Int32Array.from({ length: n }, () => Math.floor(rand() * 10)),
        dims,
      );
    case "int8":
      return new ort.Tensor(
        "int8",
        Int8Array.from({ length: n }, () => Math.floor(rand() * 10)),
        dims,
      );
    case "uint8":
      return new ort.Tensor(
        "uint8",
        Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)),
        dims,
      );
    case "bool":
      return new ort.Tensor(
        "bool",
        Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1)),
        dims,
      );
    default:
      throw new TaskError("INPUT_UNSUPPORTED", `Input "${name}" has type ${type}, which the generic task cannot feed.`);
  }
}

/** One seeded feed for every input of the session, from the session's own input metadata. */
export function feedsFromMetadata(
  ort: TaskContext["ort"],
  session: InferenceSession,
  batchSize: number,
  seed = 1,
): Record<string, Tensor> {
  const rand = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) {
      throw new TaskError(
        "INPUT_UNSUPPORTED",
        `Input "${meta.name}" is not a tensor; the generic task feeds tensors only.`,
      );
    }
    feeds[meta.name] = randomTensor(ort, meta.type, concreteShape(meta.shape, batchSize), rand, meta.name);
  }
  return feeds;
}
