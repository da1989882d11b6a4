/** A minimal GGUF v3 writer (little-endian) for tests: real header bytes, zero-filled tensor data. */

export type GgufTestValue =
  | { type: "u32"; value: number }
  | { type: "u64"; value: bigint }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: number[] };

export interface GgufTestTensor {
  name: string;
  dims: number[];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
function str(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([u64(bytes.length), bytes]);
}

function value(v: GgufTestValue): Buffer {
  switch (v.type) {
    case "u32":
      return Buffer.concat([u32(4), u32(v.value)]);
    case "u64":
      return Buffer.concat([u32(10), u64(v.value)]);
    case "f32": {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v.value);
      return Buffer.concat([u32(6), b]);
    }
    case "bool":
      return Buffer.concat([u32(7), Buffer.from([v.value ? 1 : 0])]);
    case "string":
      return Buffer.concat([u32(8), str(v.value)]);
    case "string[]":
      return Buffer.concat([u32(9), u32(8), u64(v.value.length), ...v.value.map(str)]);
    case "f32[]": {
      const b = Buffer.alloc(4 * v.value.length);
      v.value.forEach((x, i) => {
        b.writeFloatLE(x, i * 4);
      });
      return Buffer.concat([u32(9), u32(6), u64(v.value.length), b]);
    }
  }
}

/** The bytes of a GGUF file with these metadata and F32 tensors (data zero-filled, 32-byte aligned). */
export function buildGguf(opts: {
  version?: number;
  kv: Record<string, GgufTestValue>;
  tensors?: GgufTestTensor[];
}): Buffer {
  const tensors = opts.tensors ?? [];
  const parts: Buffer[] = [
    Buffer.from("GGUF", "latin1"),
    u32(opts.version ?? 3),
    u64(tensors.length),
    u64(Object.keys(opts.kv).length),
  ];
  for (const [k, v] of Object.entries(opts.kv)) parts.push(str(k), value(v));
  let offset = 0;
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map((d) => u64(d)), u32(0), u64(offset));
    const bytes = 4 * t.dims.reduce((a, b) => a * b, 1);
    offset += Math.ceil(bytes / 32) * 32;
  }
  const header = Buffer.concat(parts);
  const pad = (32 - (header.length % 32)) % 32;
  return Buffer.concat([header, Buffer.alloc(pad), Buffer.alloc(offset)]);
}

/** A small llama-shaped GGUF: 2 tensors of 4x8 and 8 elements, Q4_K_M file type, context 2048. */
export function tinyLlamaGguf(overrides: Record<string, GgufTestValue> = {}): Buffer {
  return buildGguf({
    kv: {
      "general.architecture": { type: "string", value: "llama" },
      "general.name": { type: "string", value: "tiny test llama" },
      "general.file_type": { type: "u32", value: 15 },
      "llama.context_length": { type: "u32", value: 2048 },
      "tokenizer.ggml.tokens": { type: "string[]", value: ["<s>", "</s>", "a", "b"] },
      "tokenizer.ggml.scores": { type: "f32[]", value: [0, 0, -1, -2] },
      ...overrides,
    },
    tensors: [
      { name: "token_embd.weight", dims: [4, 8] },
      { name: "output_norm.weight", dims: [8] },
    ],
  });
}
