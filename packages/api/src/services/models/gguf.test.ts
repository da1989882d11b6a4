import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { isAppError } from "../../errors.ts";
import { hasGgufMagic, readGgufHeader } from "./gguf.ts";
import { buildGguf, tinyLlamaGguf } from "./gguf-testkit.ts";

describe("GGUF header", () => {
  let dir: string;
  let n = 0;
  const file = async (bytes: Buffer) => {
    const p = path.join(dir, `f${n++}.gguf`);
    await writeFile(p, bytes);
    return p;
  };
  const refused = async (bytes: Buffer, pattern: RegExp) => {
    const e = await readGgufHeader(await file(bytes)).catch((err: unknown) => err);
    assert.ok(isAppError(e), `expected a coded error, got ${String(e)}`);
    assert.equal(e.code, "MODEL_INVALID");
    assert.match(e.message, pattern);
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "labfleet-gguf-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads architecture, name, quantisation, context length and the summed tensor elements", async () => {
    const p = await file(tinyLlamaGguf());
    assert.equal(await hasGgufMagic(p), true);
    assert.deepEqual(await readGgufHeader(p), {
      version: 3,
      tensorCount: 2,
      architecture: "llama",
      name: "tiny test llama",
      quantisation: "Q4_K_M",
      contextLength: 2048,
      parameterCount: 40,
    });
  });

  test("general.parameter_count wins over the tensor sum; version 2 is read; an unknown file type is null", async () => {
    const bytes = buildGguf({
      version: 2,
      kv: {
        "general.architecture": { type: "string", value: "qwen2" },
        "general.parameter_count": { type: "u64", value: 494_032_768n },
        "general.file_type": { type: "u32", value: 999 },
        "qwen2.context_length": { type: "u32", value: 32768 },
      },
      tensors: [{ name: "w", dims: [2, 2] }],
    });
    const info = await readGgufHeader(await file(bytes));
    assert.equal(info.version, 2);
    assert.equal(info.parameterCount, 494_032_768);
    assert.equal(info.quantisation, null);
    assert.equal(info.contextLength, 32768);
    assert.equal(info.name, null);
  });

  test("a truncated header is refused with a coded error at every cut", async () => {
    const whole = tinyLlamaGguf();
    // The header ends after the last tensor's description (name, 1 dim, the dim, type, offset).
    const lastName = "output_norm.weight";
    const headerEnd = whole.lastIndexOf(lastName) + lastName.length + 4 + 8 + 4 + 8;
    for (const cut of [0, 3, 7, 15, 23, 40, Math.floor(headerEnd / 2), headerEnd - 9, headerEnd - 1]) {
      await refused(whole.subarray(0, cut), /truncated|too short/);
    }
  });

  test("a foreign file, a wrong version and absurd counts are refused without reading them", async () => {
    await refused(Buffer.from("PK\x03\x04 this is a zip file, not a model"), /does not start with "GGUF"/);
    const v1 = tinyLlamaGguf();
    v1.writeUInt32LE(1, 4);
    await refused(v1, /version 1 is not supported/);
    const hugeKv = tinyLlamaGguf();
    hugeKv.writeBigUInt64LE(2n ** 40n, 16);
    await refused(hugeKv, /metadata count/);
    const hugeString = Buffer.concat([tinyLlamaGguf().subarray(0, 24), Buffer.alloc(8, 0xff)]);
    await refused(hugeString, /string's length/);
    assert.equal(await hasGgufMagic(await file(Buffer.from("GG"))), false);
  });
});
