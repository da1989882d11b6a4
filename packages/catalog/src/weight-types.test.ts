import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { onnx as OnnxNamespace } from "onnx-proto";
import ort from "onnxruntime-node";
import { sha256Hex } from "./files.ts";
import { irisMlpEntry } from "./generated.ts";
import { accuracyOf, irisMlpOnnxAs, trainIrisMlp } from "./iris-mlp.ts";
import type { TabularEvalSet } from "./types.ts";
import { float16Bits, float16Value, quantiseInt8 } from "./weight-types.ts";

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-weights-test-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("float16 and int8 conversion", () => {
  test("float16 bits: exact values, rounding half to even, subnormals, overflow", () => {
    assert.equal(float16Bits(0), 0);
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(-2), 0xc000);
    assert.equal(float16Bits(0.5), 0x3800);
    assert.equal(float16Bits(65504), 0x7bff);
    assert.equal(float16Bits(70000), 0x7c00);
    assert.equal(float16Bits(2 ** -24), 0x0001);
    assert.equal(float16Bits(2 ** -26), 0x0000);
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    assert.equal(float16Bits(1 + 2 ** -11), 0x3c00);
    assert.equal(float16Bits(1 + 3 * 2 ** -11), 0x3c02);
    assert.ok(Number.isNaN(float16Value(float16Bits(Number.NaN))));
    for (const v of [0.1, -3.3, 1234.5, 6e-5]) {
      const back = float16Value(float16Bits(v));
      assert.ok(Math.abs(back - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v} → ${back}`);
    }
  });

  test("int8 quantisation: one scale per output column, symmetric, zero stays zero", () => {
    // [2, 3]: column 1 is ten times column 0, column 2 is all zero.
    const values = Float32Array.from([1, 10, 0, -0.5, -5, 0]);
    const { scales, q, dequantised } = quantiseInt8(values, [2, 3], 1);
    assert.deepEqual([...q], [127, 127, 0, -64, -64, 0]);
    assert.ok(Math.abs((scales[1] ?? 0) / (scales[0] ?? 1) - 10) < 1e-5);
    assert.equal(scales[2], 1);
    dequantised.forEach((d, i) => {
      assert.ok(Math.abs(d - (values[i] ?? 0)) <= (scales[i % 3] ?? 0) / 2 + 1e-7, `value ${i}`);
    });
  });
});

const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: typeof OnnxNamespace };

/** Bytes of all the initializers, and a check that each is stored raw in a type the variants use. */
function weightBytes(bytes: Uint8Array): number {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const allowed = [onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.FLOAT16, onnx.TensorProto.DataType.INT8];
  return (graph?.initializer ?? []).reduce((sum, init) => {
    assert.ok(allowed.includes(init.dataType ?? 0), `${init.name}: type ${init.dataType}`);
    return sum + (init.rawData?.length ?? 0);
  }, 0);
}

async function ortAccuracy(modelPath: string, evalSet: TabularEvalSet): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 3 });
  try {
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    assert.ok(input?.isTensor && output?.isTensor);
    // The variants keep the float32 interface: an adapter feeds them exactly as it feeds fp32.
    assert.equal(input.type, "float32");
    assert.equal(output.type, "float32");
    const rows = evalSet.items.map((i) => i.features);
    const out = await session.run({
      features: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 4]),
    });
    const data = out.probabilities?.data as Float32Array;
    const probs = rows.map((_, n) => [...data.subarray(n * 3, n * 3 + 3)]);
    return accuracyOf(
      probs,
      evalSet.items.map((i) => i.label),
    );
  } finally {
    await session.release();
  }
}

describe("iris MLP variants", () => {
  test("fp16 and int8 load in onnxruntime, are smaller, and score within one point of fp32", async () => {
    const entry = await irisMlpEntry(path.join(tmp, "work"));
    assert.deepEqual(
      entry.variants.map((v) => v.variant),
      ["fp32", "fp16", "int8"],
    );
    const evalPaths = new Set(entry.variants.map((v) => v.files.find((f) => f.role === "eval")?.path));
    assert.equal(evalPaths.size, 1, "one evaluation set for all variants");
    const [evalPath] = [...evalPaths];
    assert.ok(evalPath);
    const evalSet = JSON.parse(await readFile(evalPath, "utf8")) as TabularEvalSet;

    const scored = new Map<string, { accuracy: number; weightBytes: number }>();
    for (const v of entry.variants) {
      const model = v.files.find((f) => f.role === "model");
      assert.ok(model);
      const accuracy = await ortAccuracy(model.path, evalSet);
      // The catalog's prediction for the variant is what onnxruntime gives.
      assert.equal(accuracy, v.meta.expectedAccuracy, v.variant);
      scored.set(v.variant, { accuracy, weightBytes: weightBytes(await readFile(model.path)) });
    }
    const fp32 = scored.get("fp32");
    assert.ok(fp32 && fp32.accuracy >= 0.85);
    for (const type of ["fp16", "int8"]) {
      const s = scored.get(type);
      assert.ok(s, type);
      assert.ok(Math.abs(s.accuracy - fp32.accuracy) <= 0.01, `${type}: ${s.accuracy} vs fp32 ${fp32.accuracy}`);
      // Fewer bytes of weights (int8 adds a scale and zero point per column and keeps float32 biases). The file
      // itself barely shrinks: this network is so small that the conversion nodes weigh as much as the savings.
      assert.ok(s.weightBytes < fp32.weightBytes * (type === "fp16" ? 0.51 : 0.6), `${type}: ${s.weightBytes} bytes`);
    }
  });

  test("the stored weights really are float16 and int8, and rounding them changes the outputs a little", async () => {
    const model = trainIrisMlp();
    const x = [5.9, 3.0, 4.2, 1.5];
    const outputs: Record<string, Float32Array> = {};
    for (const type of ["fp32", "fp16", "int8"] as const) {
      const session = await ort.InferenceSession.create(Buffer.from(irisMlpOnnxAs(model, type)), {
        logSeverityLevel: 3,
      });
      try {
        const out = await session.run({ features: new ort.Tensor("float32", Float32Array.from(x), [1, 4]) });
        outputs[type] = out.probabilities?.data as Float32Array;
      } finally {
        await session.release();
      }
    }
    const diff = (a: Float32Array | undefined, b: Float32Array | undefined) =>
      Math.max(...[0, 1, 2].map((k) => Math.abs((a?.[k] ?? 0) - (b?.[k] ?? 0))));
    // Different (so the weights were really rounded), but close.
    for (const type of ["fp16", "int8"]) {
      const d = diff(outputs[type], outputs.fp32);
      assert.ok(d > 0 && d < 0.05, `${type}: max difference ${d}`);
    }
  });

  test("each variant has stable bytes", () => {
    for (const type of ["fp16", "int8"] as const) {
      const a = sha256Hex(irisMlpOnnxAs(trainIrisMlp(), type));
      const b = sha256Hex(irisMlpOnnxAs(trainIrisMlp(), type));
      assert.equal(a, b, type);
      assert.notEqual(a, sha256Hex(irisMlpOnnxAs(trainIrisMlp(), "fp32")));
    }
  });
});
