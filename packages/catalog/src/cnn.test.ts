import assert from "node:assert/strict";
import { describe, test } from "node:test";
import ort from "onnxruntime-node";
import { generateCnn } from "./cnn.ts";
import { sha256Hex } from "./files.ts";

describe("seeded CNN", () => {
  for (const width of [8, 16]) {
    test(`width ${width} loads in onnxruntime and answers [N, classes]`, async () => {
      const cnn = generateCnn({ width, seed: 1, classes: 10 });
      const session = await ort.InferenceSession.create(cnn.bytes);
      try {
        assert.deepEqual(session.inputNames, ["input"]);
        assert.deepEqual(session.outputNames, ["logits"]);
        const n = 2;
        const pixels = Float32Array.from({ length: n * 3 * 64 * 64 }, (_, i) => ((i * 7919) % 255) / 255);
        const out = await session.run({ input: new ort.Tensor("float32", pixels, [n, 3, 64, 64]) });
        assert.deepEqual(out.logits?.dims, [n, 10]);
        const logits = out.logits?.data as Float32Array;
        assert.ok(logits.every(Number.isFinite));
        assert.ok(
          logits.some((v) => v !== 0),
          "random weights give a non-zero answer",
        );
      } finally {
        await session.release();
      }
    });
  }

  test("a wider CNN has more parameters and more compute", () => {
    const narrow = generateCnn({ width: 8, seed: 1 });
    const wide = generateCnn({ width: 32, seed: 1 });
    assert.ok(wide.parameterCount > narrow.parameterCount);
    assert.ok(wide.macsPerImage > 4 * narrow.macsPerImage);
    // conv1 3·9·w + w, conv2 9·w² + w, fc w·10 + 10
    assert.equal(narrow.parameterCount, 27 * 8 + 8 + 9 * 64 + 8 + 80 + 10);
    assert.ok(wide.bytes.length > narrow.bytes.length);
  });

  test("the seed fixes the bytes", () => {
    assert.equal(
      sha256Hex(generateCnn({ width: 16, seed: 3 }).bytes),
      sha256Hex(generateCnn({ width: 16, seed: 3 }).bytes),
    );
    assert.notEqual(
      sha256Hex(generateCnn({ width: 16, seed: 3 }).bytes),
      sha256Hex(generateCnn({ width: 16, seed: 4 }).bytes),
    );
  });

  test("a width that is not a positive integer is refused", () => {
    assert.throws(() => generateCnn({ width: 0, seed: 1 }), RangeError);
    assert.throws(() => generateCnn({ width: 2.5, seed: 1 }), RangeError);
  });
});
