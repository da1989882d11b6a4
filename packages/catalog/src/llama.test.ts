import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sha256Hex } from "./files.ts";
import { buildGgufFile, GGUF_ALIGNMENT, generateTinyLlama, tinyLlamaEntry, tinyLlamaVocabulary } from "./llama.ts";

const LLAMA_PKG = fileURLToPath(
  new URL("../../../.cache/runtimes/llama/node_modules/node-llama-cpp/", import.meta.url),
);

/** Reads back the layout of a GGUF file: metadata keys, tensor infos and where the data section starts. */
function readLayout(bytes: Buffer) {
  let pos = 0;
  const u32 = () => {
    const v = bytes.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = () => {
    const v = Number(bytes.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const str = () => {
    const n = u64();
    const s = bytes.toString("utf8", pos, pos + n);
    pos += n;
    return s;
  };
  const SIZES: Record<number, number> = { 4: 4, 5: 4, 6: 4, 7: 1, 10: 8 };
  const skipValue = (type: number): unknown => {
    if (type === 8) return str();
    if (type === 9) {
      const item = u32();
      const n = u64();
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(skipValue(item));
      return items;
    }
    const size = SIZES[type];
    assert.ok(size, `unexpected value type ${type}`);
    const v = type === 6 ? bytes.readFloatLE(pos) : type === 10 ? bytes.readBigUInt64LE(pos) : bytes.readUInt32LE(pos);
    pos += size;
    return type === 7 ? bytes[pos - 1] === 1 : v;
  };
  assert.equal(bytes.toString("latin1", 0, 4), "GGUF");
  pos = 4;
  assert.equal(u32(), 3);
  const tensorCount = u64();
  const kvCount = u64();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv.set(key, skipValue(u32()));
  }
  const tensors: Array<{ name: string; dims: number[]; type: number; offset: number }> = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  const dataStart = Math.ceil(pos / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  return { kv, tensors, dataStart };
}

describe("GGUF writer", () => {
  test("places every tensor's data aligned, after the header, and rejects a wrong element count", () => {
    const bytes = buildGgufFile({ "general.architecture": { type: "string", value: "test" } }, [
      { name: "a", dims: [3], type: "F32", data: Float32Array.from([1, 2, 3]) },
      { name: "b", dims: [2, 2], type: "F16", data: Float32Array.from([1, -2, 0, 0.5]) },
    ]);
    const { tensors, dataStart } = readLayout(bytes);
    assert.deepEqual(
      tensors.map((t) => [t.name, t.type, t.offset]),
      [
        ["a", 0, 0],
        ["b", 1, 32],
      ],
    );
    assert.equal(bytes.readFloatLE(dataStart + 8), 3);
    assert.equal(bytes.readUInt16LE(dataStart + 32 + 2), 0xc000);
    assert.equal(bytes.length % GGUF_ALIGNMENT, 0);
    assert.throws(() => buildGgufFile({}, [{ name: "x", dims: [4], type: "F32", data: new Float32Array(3) }]), /x/);
  });
});

describe("tiny llama", () => {
  test("the same seed gives the same bytes; another seed other weights", () => {
    const a = generateTinyLlama();
    assert.equal(sha256Hex(a.bytes), sha256Hex(generateTinyLlama().bytes));
    assert.notEqual(sha256Hex(a.bytes), sha256Hex(generateTinyLlama(7).bytes));
  });

  test("holds every tensor llama.cpp needs, shaped for the metadata, and a vocabulary without duplicates", () => {
    const model = generateTinyLlama();
    const { kv, tensors, dataStart } = readLayout(model.bytes);
    const E = kv.get("llama.embedding_length") as number;
    const layers = kv.get("llama.block_count") as number;
    const vocab = kv.get("tokenizer.ggml.tokens") as string[];
    assert.equal(kv.get("general.architecture"), "llama");
    assert.equal(kv.get("tokenizer.ggml.model"), "llama");
    assert.equal(new Set(vocab).size, vocab.length, "llama.cpp aborts on a duplicated token");
    assert.equal((kv.get("tokenizer.ggml.scores") as number[]).length, vocab.length);
    assert.equal((kv.get("tokenizer.ggml.token_type") as number[]).length, vocab.length);
    assert.ok(vocab.includes("<0x0A>"), "byte-fallback tokens are present");
    assert.deepEqual(tinyLlamaVocabulary().tokens, vocab);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    assert.deepEqual(byName.get("token_embd.weight")?.dims, [E, vocab.length]);
    assert.deepEqual(byName.get("output.weight")?.dims, [E, vocab.length]);
    for (let l = 0; l < layers; l++) {
      for (const part of [
        "attn_norm",
        "attn_q",
        "attn_k",
        "attn_v",
        "attn_output",
        "ffn_norm",
        "ffn_gate",
        "ffn_up",
        "ffn_down",
      ]) {
        assert.ok(byName.has(`blk.${l}.${part}.weight`), `blk.${l}.${part}.weight`);
      }
    }
    const elements = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
    assert.equal(elements, model.parameterCount);
    const last = tensors.at(-1);
    assert.ok(last);
    assert.equal(model.bytes.length, dataStart + last.offset + 4 * last.dims.reduce((a, b) => a * b, 1));
    // Random, not zero: a zero-filled model would generate one token forever and hide a broken writer.
    const embd = byName.get("token_embd.weight");
    assert.ok(embd);
    assert.notEqual(model.bytes.readFloatLE(dataStart + embd.offset), 0);
  });

  test("the catalog entry is a synthetic llm for node-llama-cpp, written once under tiny-llama/", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labfleet-llama-cat-"));
    try {
      const entry = await tinyLlamaEntry(dir);
      assert.ok(entry);
      assert.equal(entry.task, "llm");
      assert.equal(entry.origin, "generated");
      assert.equal(entry.synthetic, true);
      assert.match(entry.description, /means nothing/);
      const v = entry.variants[0];
      assert.ok(v);
      assert.equal(v.format, "gguf");
      assert.equal(v.runtime, "node-llama-cpp");
      const file = v.files[0];
      assert.ok(file && file.role === "model" && file.path.startsWith(join(dir, "tiny-llama")));
      const first = await stat(file.path);
      await tinyLlamaEntry(dir);
      assert.equal((await stat(file.path)).mtimeMs, first.mtimeMs, "unchanged bytes are not rewritten");
      assert.equal(sha256Hex(await readFile(file.path)), sha256Hex(generateTinyLlama().bytes));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("llama.cpp loads it and generates tokens", {
    skip: existsSync(LLAMA_PKG) ? false : "node-llama-cpp absent: run `node scripts/ensure-llama-runtime.mjs`",
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "labfleet-llama-load-"));
    const { getLlama } = (await import(pathToFileURL(join(LLAMA_PKG, "dist/index.js")).href)) as {
      // The runtime is optional and outside the workspace: only the calls made here are typed.
      getLlama(o: object): Promise<{
        loadModel(o: object): Promise<{
          trainContextSize: number;
          tokenize(text: string): number[];
          createContext(o: object): Promise<{
            getSequence(): { evaluate(t: number[], o: object): AsyncGenerator<number> };
            dispose(): Promise<void>;
          }>;
          dispose(): Promise<void>;
        }>;
        dispose(): Promise<void>;
      }>;
    };
    const llama = await getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      progressLogs: false,
      maxThreads: 1,
    });
    try {
      const entry = await tinyLlamaEntry(dir);
      const path = entry?.variants[0]?.files[0]?.path;
      assert.ok(path);
      const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
      assert.equal(model.trainContextSize, 1024);
      const context = await model.createContext({ contextSize: 64, threads: 1 });
      const out: number[] = [];
      for await (const t of context.getSequence().evaluate(model.tokenize("the lab"), { temperature: 0 })) {
        out.push(t);
        if (out.length >= 4) break;
      }
      assert.equal(out.length, 4);
      await context.dispose();
      await model.dispose();
    } finally {
      await llama.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
