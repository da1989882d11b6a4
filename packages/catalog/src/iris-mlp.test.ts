import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import ort from "onnxruntime-node";
import { sha256Hex } from "./files.ts";
import { accuracyOf, argmax, irisForward, irisMlpOnnx, loadIris, trainIrisMlp, writeIrisMlp } from "./iris-mlp.ts";
import type { TabularEvalSet } from "./types.ts";

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-iris-test-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("iris MLP", () => {
  test("onnxruntime scores the written model on eval.json as the TypeScript forward pass does, at >= 0.85", async () => {
    const { model, modelPath, evalPath } = await writeIrisMlp(path.join(tmp, "iris"));
    const evalSet = JSON.parse(await readFile(evalPath, "utf8")) as TabularEvalSet;
    assert.equal(evalSet.kind, "tabular-classification");
    assert.deepEqual(evalSet.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal(evalSet.featureNames.length, 4);
    assert.equal(evalSet.items.length, 30);

    const session = await ort.InferenceSession.create(modelPath);
    try {
      assert.deepEqual(session.inputNames, ["features"]);
      assert.deepEqual(session.outputNames, ["probabilities"]);
      const rows = evalSet.items.map((i) => i.features);
      const out = await session.run({
        features: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 4]),
      });
      const probabilities = out.probabilities;
      assert.ok(probabilities);
      assert.deepEqual(probabilities.dims, [rows.length, 3]);
      const data = probabilities.data as Float32Array;
      const fromOrt = rows.map((_, n) => [...data.subarray(n * 3, n * 3 + 3)]);
      const fromTs = irisForward(model, rows);
      const labels = evalSet.items.map((i) => i.label);
      const ortAccuracy = accuracyOf(fromOrt, labels);
      assert.ok(ortAccuracy >= 0.85, `accuracy ${ortAccuracy}`);
      assert.equal(ortAccuracy, accuracyOf(fromTs, labels));
      assert.equal(ortAccuracy, model.testAccuracy);
      fromOrt.forEach((p, n) => {
        assert.equal(argmax(p), argmax(fromTs[n] ?? []), `item ${n}`);
        p.forEach((v, k) => {
          assert.ok(Math.abs(v - (fromTs[n]?.[k] ?? Number.NaN)) < 1e-4, `item ${n} class ${k}: ${v}`);
        });
      });
      // A batch of one works too: the batch dimension is symbolic.
      const one = await session.run({ features: new ort.Tensor("float32", Float32Array.from(rows[0] ?? []), [1, 4]) });
      assert.deepEqual(one.probabilities?.dims, [1, 3]);
    } finally {
      await session.release();
    }
  });

  test("the split is stratified, disjoint and held out from training", () => {
    const model = trainIrisMlp();
    assert.equal(model.train.length, 120);
    assert.equal(model.test.length, 30);
    for (let c = 0; c < 3; c++) assert.equal(model.test.filter((s) => s.label === c).length, 10);
    const key = (s: { features: number[]; label: number }) => JSON.stringify(s);
    const all = loadIris().samples.map(key).sort();
    assert.deepEqual([...model.train, ...model.test].map(key).sort(), all);
  });

  test("one seed gives one byte string; another seed gives other weights", () => {
    const a = sha256Hex(irisMlpOnnx(trainIrisMlp({ seed: 7 })));
    const b = sha256Hex(irisMlpOnnx(trainIrisMlp({ seed: 7 })));
    const c = sha256Hex(irisMlpOnnx(trainIrisMlp({ seed: 8 })));
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  test("training learns: an untrained network does much worse than the trained one", () => {
    const untrained = trainIrisMlp({ epochs: 0 });
    const trained = trainIrisMlp();
    const rows = trained.train.map((s) => s.features);
    const labels = trained.train.map((s) => s.label);
    const trainedAccuracy = accuracyOf(irisForward(trained, rows), labels);
    assert.ok(trainedAccuracy >= 0.9, `train accuracy ${trainedAccuracy}`);
    assert.ok(accuracyOf(irisForward(untrained, rows), labels) < trainedAccuracy - 0.2);
  });
});
