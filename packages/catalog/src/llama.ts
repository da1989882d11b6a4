import { join } from "node:path";
import { writeFileIfChanged } from "./files.ts";
import { float16Bits } from "./float16.ts";
import { createRng, uniform } from "./prng.ts";
import type { CatalogEntry } from "./types.ts";

// ---------- A complete GGUF v3 writer (little-endian) ----------

/** A GGUF metadata value. Arrays hold one item type, as the format requires. */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "u64"; value: bigint }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: readonly number[] }
  | { type: "i32[]"; value: readonly number[] };

/** A tensor with its data. `dims` is in GGUF order (ne0 first: the fastest-varying dimension). */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  /** F32 writes the values as they are; F16 rounds them to half precision. Zero-filled when `data` is absent. */
  type: "F32" | "F16";
  data?: Float32Array;
}

const GGML_TYPE = { F32: 0, F16: 1 } as const;
const ELEMENT_BYTES = { F32: 4, F16: 2 } as const;
export const GGUF_ALIGNMENT = 32;

/** Appends little-endian values to growing chunks (no intermediate Buffer per value for large arrays). */
class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.push(b);
  }
  u64(n: bigint | number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad > 0) this.push(Buffer.alloc(pad));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** GGUF metadata value type ids. */
const VT = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10 } as const;

/** An array of 4-byte numbers: the array header, then each item as `write` puts it at its offset. */
function writeNumberArray(
  w: ByteWriter,
  itemType: number,
  values: readonly number[],
  write: (b: Buffer, x: number, offset: number) => void,
): void {
  w.u32(VT.ARRAY);
  w.u32(itemType);
  w.u64(values.length);
  const b = Buffer.alloc(4 * values.length);
  values.forEach((x, i) => {
    write(b, x, 4 * i);
  });
  w.push(b);
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case "u32":
      w.u32(VT.UINT32);
      w.u32(v.value);
      return;
    case "i32":
      w.u32(VT.INT32);
      w.i32(v.value);
      return;
    case "u64":
      w.u32(VT.UINT64);
      w.u64(v.value);
      return;
    case "f32":
      w.u32(VT.FLOAT32);
      w.f32(v.value);
      return;
    case "bool":
      w.u32(VT.BOOL);
      w.push(Buffer.from([v.value ? 1 : 0]));
      return;
    case "string":
      w.u32(VT.STRING);
      w.string(v.value);
      return;
    case "string[]":
      w.u32(VT.ARRAY);
      w.u32(VT.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case "f32[]":
      writeNumberArray(w, VT.FLOAT32, v.value, (b, x, offset) => b.writeFloatLE(x, offset));
      return;
    case "i32[]":
      writeNumberArray(w, VT.INT32, v.value, (b, x, offset) => b.writeInt32LE(x, offset));
      return;
  }
}

function tensorBytes(t: GgufTensor): Buffer {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data && t.data.length !== count) {
    throw new Error(`GGUF tensor ${t.name}: ${t.data.length} values for dims [${t.dims.join(", ")}]`);
  }
  const out = Buffer.alloc(count * ELEMENT_BYTES[t.type]);
  if (!t.data) return out;
  if (t.type === "F32") {
    for (let i = 0; i < count; i++) out.writeFloatLE(t.data[i] ?? 0, 4 * i);
  } else {
    for (let i = 0; i < count; i++) out.writeUInt16LE(float16Bits(t.data[i] ?? 0), 2 * i);
  }
  return out;
}

/**
 * The bytes of a complete GGUF v3 file: header, metadata, tensor infos, then each tensor's data at an offset
 * aligned to GGUF_ALIGNMENT (the default llama.cpp assumes when `general.alignment` is absent).
 */
export function buildGgufFile(kv: Readonly<Record<string, GgufValue>>, tensors: readonly GgufTensor[]): Buffer {
  const w = new ByteWriter();
  w.push(Buffer.from("GGUF", "latin1"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(Object.keys(kv).length);
  for (const [key, v] of Object.entries(kv)) {
    w.string(key);
    writeValue(w, v);
  }
  const datas = tensors.map(tensorBytes);
  let offset = 0;
  tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE[t.type]);
    w.u64(offset);
    offset += Math.ceil((datas[i]?.length ?? 0) / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  });
  w.padTo(GGUF_ALIGNMENT);
  for (const data of datas) {
    w.push(data);
    w.padTo(GGUF_ALIGNMENT);
  }
  return w.bytes();
}

// ---------- The tiny llama ----------

export const TINY_LLAMA_SEED = 20_250_501;

export interface TinyLlamaShape {
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
}

export const TINY_LLAMA_SHAPE: TinyLlamaShape = {
  embedding: 128,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  feedForward: 256,
  contextLength: 1024,
};

// SentencePiece token types, as llama.cpp reads tokenizer.ggml.token_type.
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

const WORDS = [
  "the",
  "a",
  "of",
  "and",
  "to",
  "in",
  "is",
  "it",
  "that",
  "on",
  "for",
  "with",
  "as",
  "was",
  "lab",
  "model",
  "token",
  "test",
  "run",
  "data",
  "fast",
  "slow",
  "device",
  "school",
  "class",
  "student",
  "teacher",
  "random",
  "weight",
  "number",
  "text",
  "means",
  "nothing",
  "tiny",
  "llama",
  "speed",
  "time",
  "first",
  "second",
  "word",
];

/**
 * A SentencePiece ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte-fallback tokens llama.cpp expects of
 * such a tokenizer (it finds the newline through <0x0A>), single letters and digits, then whole words with the
 * "▁" word-start marker. Scores rank longer pieces first, as a trained tokenizer's would.
 */
export function tinyLlamaVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const scores: number[] = [0, 0, 0];
  const types: number[] = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    scores.push(0);
    types.push(TOKEN_BYTE);
  }
  const pieces = ["▁", ..."abcdefghijklmnopqrstuvwxyz0123456789.,!?".split("")];
  for (const letter of "abcdefghijklmnopqrstuvwxyz") pieces.push(`▁${letter}`);
  for (const word of WORDS) pieces.push(`▁${word}`);
  // A piece listed twice would make llama.cpp abort on load (its id→token and token→id maps must match).
  [...new Set(pieces)].forEach((piece, i) => {
    tokens.push(piece);
    scores.push(-1000 + [...piece].length * 100 - i * 0.01);
    types.push(TOKEN_NORMAL);
  });
  return { tokens, scores, types };
}

export interface TinyLlama {
  bytes: Buffer;
  shape: TinyLlamaShape;
  vocabularySize: number;
  parameterCount: number;
  seed: number;
}

/** Builds the tiny llama: seeded uniform weights scaled like a fresh transformer's, norms at one, F32 tensors. */
export function generateTinyLlama(seed: number = TINY_LLAMA_SEED, shape: TinyLlamaShape = TINY_LLAMA_SHAPE): TinyLlama {
  const rng = createRng(seed);
  const vocab = tinyLlamaVocabulary();
  const nVocab = vocab.tokens.length;
  const headDim = shape.embedding / shape.heads;
  const kvDim = headDim * shape.kvHeads;
  const random = (count: number, fanIn: number) => {
    const out = new Float32Array(count);
    const limit = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < count; i++) out[i] = uniform(rng, limit);
    return out;
  };
  const ones = (count: number) => new Float32Array(count).fill(1);
  const tensors: GgufTensor[] = [];
  const add = (name: string, dims: number[], data: Float32Array) => {
    tensors.push({ name, dims, type: "F32", data });
  };
  const E = shape.embedding;
  add("token_embd.weight", [E, nVocab], random(E * nVocab, E));
  for (let l = 0; l < shape.layers; l++) {
    add(`blk.${l}.attn_norm.weight`, [E], ones(E));
    add(`blk.${l}.attn_q.weight`, [E, E], random(E * E, E));
    add(`blk.${l}.attn_k.weight`, [E, kvDim], random(E * kvDim, E));
    add(`blk.${l}.attn_v.weight`, [E, kvDim], random(E * kvDim, E));
    add(`blk.${l}.attn_output.weight`, [E, E], random(E * E, E));
    add(`blk.${l}.ffn_norm.weight`, [E], ones(E));
    add(`blk.${l}.ffn_gate.weight`, [E, shape.feedForward], random(E * shape.feedForward, E));
    add(`blk.${l}.ffn_up.weight`, [E, shape.feedForward], random(E * shape.feedForward, E));
    add(`blk.${l}.ffn_down.weight`, [shape.feedForward, E], random(E * shape.feedForward, shape.feedForward));
  }
  add("output_norm.weight", [E], ones(E));
  add("output.weight", [E, nVocab], random(E * nVocab, E));
  const parameterCount = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);

  const kv: Record<string, GgufValue> = {
    "general.architecture": { type: "string", value: "llama" },
    "general.name": { type: "string", value: "LabFleet tiny llama (synthetic)" },
    "general.description": {
      type: "string",
      value: "Seeded random weights for token-throughput tests; its text means nothing.",
    },
    "general.license": { type: "string", value: "MIT" },
    "general.file_type": { type: "u32", value: 0 },
    "general.parameter_count": { type: "u64", value: BigInt(parameterCount) },
    "llama.vocab_size": { type: "u32", value: nVocab },
    "llama.context_length": { type: "u32", value: shape.contextLength },
    "llama.embedding_length": { type: "u32", value: E },
    "llama.block_count": { type: "u32", value: shape.layers },
    "llama.feed_forward_length": { type: "u32", value: shape.feedForward },
    "llama.rope.dimension_count": { type: "u32", value: headDim },
    "llama.rope.freq_base": { type: "f32", value: 10000 },
    "llama.attention.head_count": { type: "u32", value: shape.heads },
    "llama.attention.head_count_kv": { type: "u32", value: shape.kvHeads },
    "llama.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-5 },
    "tokenizer.ggml.model": { type: "string", value: "llama" },
    "tokenizer.ggml.tokens": { type: "string[]", value: vocab.tokens },
    "tokenizer.ggml.scores": { type: "f32[]", value: vocab.scores },
    "tokenizer.ggml.token_type": { type: "i32[]", value: vocab.types },
    "tokenizer.ggml.unknown_token_id": { type: "u32", value: 0 },
    "tokenizer.ggml.bos_token_id": { type: "u32", value: 1 },
    "tokenizer.ggml.eos_token_id": { type: "u32", value: 2 },
    "tokenizer.ggml.add_bos_token": { type: "bool", value: true },
    "tokenizer.ggml.add_eos_token": { type: "bool", value: false },
  };
  return { bytes: buildGgufFile(kv, tensors), shape, vocabularySize: nVocab, parameterCount, seed };
}

/** Writes the tiny llama to `<dir>/model.gguf` (left alone when it already holds the same bytes). */
export async function writeTinyLlama(
  dir: string,
  seed: number = TINY_LLAMA_SEED,
): Promise<TinyLlama & { path: string }> {
  const model = generateTinyLlama(seed);
  const path = join(dir, "model.gguf");
  await writeFileIfChanged(path, model.bytes);
  return { ...model, path };
}

/** A tiny random-weight llama GGUF written by LabFleet for token-throughput runs (synthetic). */
export async function tinyLlamaEntry(workDir: string): Promise<CatalogEntry | null> {
  const model = await writeTinyLlama(join(workDir, "tiny-llama", "f32"));
  const { shape } = model;
  return {
    slug: "tiny-llama-synthetic",
    name: "Tiny llama (synthetic weights)",
    description:
      `A ${shape.layers}-layer llama-architecture language model (${shape.embedding}-wide, ${model.vocabularySize}-token ` +
      `vocabulary, ${model.parameterCount.toLocaleString("en")} parameters) with seeded random weights, written as GGUF ` +
      "by LabFleet. Its text means nothing: it exists to measure time to first token and tokens per second.",
    task: "llm",
    origin: "generated",
    synthetic: true,
    licence: "MIT",
    sourcePackage: null,
    sourceVersion: null,
    variants: [
      {
        variant: "f32",
        format: "gguf",
        runtime: "node-llama-cpp",
        files: [{ name: "model.gguf", role: "model", path: model.path }],
        meta: {
          architecture: "llama",
          quantisation: "F32",
          layers: shape.layers,
          embedding: shape.embedding,
          heads: shape.heads,
          kvHeads: shape.kvHeads,
          feedForward: shape.feedForward,
          contextLength: shape.contextLength,
          vocabularySize: model.vocabularySize,
          parameterCount: model.parameterCount,
          seed: model.seed,
          evaluation: null,
          evaluationNote:
            "Random weights: its text means nothing, so there is nothing to evaluate, only speed to measure.",
        },
      },
    ],
  };
}
