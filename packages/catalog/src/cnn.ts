import { join } from "node:path";
import { writeFileIfChanged } from "./files.ts";
import { encodeModel, type Initializer, type TensorInfo } from "./onnx-builder.ts";
import { createRng, uniform } from "./prng.ts";

export interface CnnOptions {
  /** Channels of both conv layers: the knob for compute (MACs grow with width²). */
  width: number;
  seed: number;
  /** Output classes; 10 by default. */
  classes?: number;
  /** Side of the square input image; 64 by default. */
  inputSize?: number;
}

export interface GeneratedCnn {
  bytes: Uint8Array;
  width: number;
  seed: number;
  classes: number;
  inputSize: number;
  parameterCount: number;
  /** Multiply-accumulates of one image through the network. */
  macsPerImage: number;
  input: TensorInfo;
  output: TensorInfo;
}

export const CNN_SEED = 1;
export const CNN_WIDTHS = [8, 16, 32] as const;

function heUniform(rng: () => number, dims: number[], fanIn: number, name: string): Initializer {
  const count = dims.reduce((a, b) => a * b, 1);
  // He-uniform keeps activations in a sane range through the ReLUs, so timings are not skewed by denormals or infinities.
  const limit = Math.sqrt(6 / fanIn);
  return { name, dims, values: Float32Array.from({ length: count }, () => uniform(rng, limit)) };
}

function smallBias(rng: () => number, count: number, name: string): Initializer {
  return { name, dims: [count], values: Float32Array.from({ length: count }, () => uniform(rng, 0.01)) };
}

/**
 * A seeded conv net with random weights: Conv 3x3 → Relu → Conv 3x3 → Relu → GlobalAveragePool → Flatten → Gemm,
 * on float32 [N, 3, S, S]. Its output means nothing; it exists to measure how speed scales with compute.
 */
export function generateCnn(options: CnnOptions): GeneratedCnn {
  const { width, seed } = options;
  const classes = options.classes ?? 10;
  const inputSize = options.inputSize ?? 64;
  for (const [key, value] of Object.entries({ width, classes, inputSize })) {
    if (!Number.isInteger(value) || value < 1 || value > 4096)
      throw new RangeError(`generateCnn: ${key} must be an integer in 1..4096`);
  }
  const rng = createRng(seed);
  const initializers = [
    heUniform(rng, [width, 3, 3, 3], 3 * 9, "conv1_w"),
    smallBias(rng, width, "conv1_b"),
    heUniform(rng, [width, width, 3, 3], width * 9, "conv2_w"),
    smallBias(rng, width, "conv2_b"),
    heUniform(rng, [width, classes], width, "fc_w"),
    smallBias(rng, classes, "fc_b"),
  ];
  const input: TensorInfo = { name: "input", type: "float32", shape: ["N", 3, inputSize, inputSize] };
  const output: TensorInfo = { name: "logits", type: "float32", shape: ["N", classes] };
  const conv = [
    { name: "kernel_shape", ints: [3, 3] },
    { name: "pads", ints: [1, 1, 1, 1] },
    { name: "strides", ints: [1, 1] },
  ];
  const bytes = encodeModel({
    graphName: `cnn_w${width}`,
    docString: `Synthetic CNN (random weights, seed ${seed}, width ${width}). Its output means nothing: it measures speed.`,
    inputs: [input],
    outputs: [output],
    initializers,
    nodes: [
      { name: "conv1", op: "Conv", inputs: ["input", "conv1_w", "conv1_b"], outputs: ["conv1_out"], attributes: conv },
      { name: "relu1", op: "Relu", inputs: ["conv1_out"], outputs: ["relu1_out"] },
      {
        name: "conv2",
        op: "Conv",
        inputs: ["relu1_out", "conv2_w", "conv2_b"],
        outputs: ["conv2_out"],
        attributes: conv,
      },
      { name: "relu2", op: "Relu", inputs: ["conv2_out"], outputs: ["relu2_out"] },
      { name: "pool", op: "GlobalAveragePool", inputs: ["relu2_out"], outputs: ["pooled"] },
      { name: "flatten", op: "Flatten", inputs: ["pooled"], outputs: ["flat"], attributes: [{ name: "axis", int: 1 }] },
      { name: "fc", op: "Gemm", inputs: ["flat", "fc_w", "fc_b"], outputs: ["logits"] },
    ],
    metadata: [
      ["labfleet.synthetic", "true"],
      ["labfleet.seed", String(seed)],
      ["labfleet.width", String(width)],
    ],
  });
  const pixels = inputSize * inputSize;
  return {
    bytes,
    width,
    seed,
    classes,
    inputSize,
    parameterCount: initializers.reduce((sum, init) => sum + init.values.length, 0),
    macsPerImage: pixels * width * 3 * 9 + pixels * width * width * 9 + width * classes,
    input,
    output,
  };
}

/** Generates the CNN and writes it as `model.onnx` in `dir`, leaving an identical file untouched. */
export async function writeCnn(dir: string, options: CnnOptions): Promise<{ cnn: GeneratedCnn; modelPath: string }> {
  const cnn = generateCnn(options);
  const modelPath = join(dir, "model.onnx");
  await writeFileIfChanged(modelPath, cnn.bytes);
  return { cnn, modelPath };
}
