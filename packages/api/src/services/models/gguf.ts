import { type FileHandle, open } from "node:fs/promises";
import { AppError } from "../../errors.ts";

/** What the header of a GGUF file says about the model inside. */
export interface GgufInfo {
  version: number;
  tensorCount: number;
  architecture: string | null;
  name: string | null;
  /** general.file_type as llama.cpp names it ("Q4_K_M", "F16", ...); null when absent or unknown. */
  quantisation: string | null;
  contextLength: number | null;
  /** general.parameter_count, else the summed element counts of the tensors; null when neither is readable. */
  parameterCount: number | null;
}

// The header of a real model is a few MB (the tokenizer's vocabulary); anything far larger is not a model
// header but a hostile or broken file, and reading it would only cost time.
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
const MAX_STRING_BYTES = 1024 * 1024;
const MAX_KV_COUNT = 100_000;
const MAX_ARRAY_LENGTH = 50_000_000;
const MAX_TENSOR_COUNT = 1_000_000;
const MAX_DIMS = 8;
const CHUNK_BYTES = 64 * 1024;

/** llama.cpp's `llama_ftype` (general.file_type) names; gaps are types that were removed upstream. */
const FILE_TYPES: Record<number, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  4: "Q4_1_SOME_F16",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  19: "IQ2_XXS",
  20: "IQ2_XS",
  21: "Q2_K_S",
  22: "IQ3_XS",
  23: "IQ3_XXS",
  24: "IQ1_S",
  25: "IQ4_NL",
  26: "IQ3_S",
  27: "IQ3_M",
  28: "IQ2_S",
  29: "IQ2_M",
  30: "IQ4_XS",
  31: "IQ1_M",
  32: "BF16",
  36: "TQ1_0",
  37: "TQ2_0",
  38: "MXFP4_MOE",
};

/** GGUF metadata value types. */
const T = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export const GGUF_MAGIC = Buffer.from("GGUF", "latin1");

function invalid(message: string): AppError {
  return new AppError("MODEL_INVALID", `The file is not a valid GGUF model: ${message}.`);
}

/** Sequential reads through a file in small chunks, never past MAX_HEADER_BYTES. */
class BoundedReader {
  private buf = Buffer.alloc(0);
  private pos = 0;
  /** File offset of buf[0]. */
  private base = 0;

  constructor(private readonly fh: FileHandle) {}

  get offset(): number {
    return this.base + this.pos;
  }

  private async need(n: number): Promise<void> {
    if (this.buf.length - this.pos >= n) return;
    if (this.offset + n > MAX_HEADER_BYTES) throw invalid(`its header is larger than ${MAX_HEADER_BYTES} bytes`);
    const rest = this.buf.subarray(this.pos);
    const want = Math.max(n - rest.length, CHUNK_BYTES);
    const chunk = Buffer.alloc(want);
    const { bytesRead } = await this.fh.read(chunk, 0, want, this.base + this.buf.length);
    this.base += this.pos;
    this.buf = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
    this.pos = 0;
    if (this.buf.length < n) throw invalid("the file ends inside its header (truncated)");
  }

  async bytes(n: number): Promise<Buffer> {
    await this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  async skip(n: number): Promise<void> {
    // Skips in chunks so that a huge count cannot ask for a huge buffer.
    let left = n;
    while (left > 0) {
      const step = Math.min(left, CHUNK_BYTES);
      await this.bytes(step);
      left -= step;
    }
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0);
  }

  /** A uint64 count that must fit `max`. */
  async count(max: number, what: string): Promise<number> {
    const n = await this.u64();
    if (n > BigInt(max)) throw invalid(`${what} is ${n}, more than ${max}`);
    return Number(n);
  }

  async string(): Promise<string> {
    const n = await this.count(MAX_STRING_BYTES, "a string's length");
    return (await this.bytes(n)).toString("utf8");
  }
}

type Scalar = number | bigint | boolean | string;

async function readScalar(r: BoundedReader, type: number): Promise<Scalar> {
  switch (type) {
    case T.UINT8:
      return (await r.bytes(1)).readUInt8(0);
    case T.INT8:
      return (await r.bytes(1)).readInt8(0);
    case T.UINT16:
      return (await r.bytes(2)).readUInt16LE(0);
    case T.INT16:
      return (await r.bytes(2)).readInt16LE(0);
    case T.UINT32:
      return (await r.bytes(4)).readUInt32LE(0);
    case T.INT32:
      return (await r.bytes(4)).readInt32LE(0);
    case T.FLOAT32:
      return (await r.bytes(4)).readFloatLE(0);
    case T.BOOL:
      return (await r.bytes(1)).readUInt8(0) !== 0;
    case T.STRING:
      return r.string();
    case T.UINT64:
      return (await r.bytes(8)).readBigUInt64LE(0);
    case T.INT64:
      return (await r.bytes(8)).readBigInt64LE(0);
    case T.FLOAT64:
      return (await r.bytes(8)).readDoubleLE(0);
    default:
      throw invalid(`unknown metadata value type ${type}`);
  }
}

/** Reads a value; arrays (the tokenizer's vocabulary) are skipped, not kept: nothing here needs them. */
async function readValue(r: BoundedReader, type: number): Promise<Scalar | null> {
  if (type !== T.ARRAY) return readScalar(r, type);
  const itemType = await r.u32();
  const n = await r.count(MAX_ARRAY_LENGTH, "an array's length");
  const fixed = FIXED_SIZE[itemType];
  if (fixed !== undefined) {
    await r.skip(n * fixed);
  } else if (itemType === T.STRING) {
    for (let i = 0; i < n; i++) await r.skip(await r.count(MAX_STRING_BYTES, "a string's length"));
  } else {
    // Nested arrays do not occur in real files; refusing them keeps the reader's work bounded.
    throw invalid(`unsupported array item type ${itemType}`);
  }
  return null;
}

function asNumber(v: Scalar | null | undefined): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return null;
}

/**
 * Reads the header of a GGUF file (versions 2 and 3, little-endian) without reading the weights: at most
 * MAX_HEADER_BYTES, in 64 KiB chunks. A foreign or truncated file is a coded BAD_REQUEST.
 */
export async function readGgufHeader(path: string): Promise<GgufInfo> {
  const fh = await open(path, "r");
  try {
    const r = new BoundedReader(fh);
    const magic = await r.bytes(4).catch(() => {
      throw invalid("it is too short to hold a GGUF header");
    });
    if (!magic.equals(GGUF_MAGIC)) throw invalid('it does not start with "GGUF"');
    const version = await r.u32();
    if (version !== 2 && version !== 3) throw invalid(`version ${version} is not supported (2 or 3 are)`);
    const tensorCount = await r.count(MAX_TENSOR_COUNT, "the tensor count");
    const kvCount = await r.count(MAX_KV_COUNT, "the metadata count");

    const kv = new Map<string, Scalar | null>();
    for (let i = 0; i < kvCount; i++) {
      const key = await r.string();
      const type = await r.u32();
      kv.set(key, await readValue(r, type));
    }

    // Tensor descriptions follow the metadata; their shapes give the parameter count when the metadata lacks it.
    let elements = 0n;
    for (let i = 0; i < tensorCount; i++) {
      await r.string();
      const dims = await r.u32();
      if (dims > MAX_DIMS) throw invalid(`a tensor has ${dims} dimensions`);
      let count = 1n;
      for (let d = 0; d < dims; d++) count *= await r.u64();
      elements += count;
      await r.u32(); // type
      await r.u64(); // offset
    }

    const str = (k: string) => {
      const v = kv.get(k);
      return typeof v === "string" ? v.slice(0, 200) : null;
    };
    const architecture = str("general.architecture");
    const fileType = asNumber(kv.get("general.file_type"));
    return {
      version,
      tensorCount,
      architecture,
      name: str("general.name"),
      quantisation: fileType === null ? null : (FILE_TYPES[fileType] ?? null),
      contextLength: architecture ? asNumber(kv.get(`${architecture}.context_length`)) : null,
      parameterCount:
        asNumber(kv.get("general.parameter_count")) ??
        (tensorCount > 0 && elements <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(elements) : null),
    };
  } finally {
    await fh.close();
  }
}

/** Whether a file starts with the GGUF magic (the upload decides the format by it). */
export async function hasGgufMagic(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(GGUF_MAGIC);
  } finally {
    await fh.close();
  }
}
