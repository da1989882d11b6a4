// Lower-precision variants of a generated float32 model. The weights are stored in fewer bits and turned back
// into float32 by a node at the top of the graph, so inputs, outputs and every operator stay float32: the
// variant is smaller on disk and shows how much the rounding costs in accuracy, on any onnxruntime build
// (onnxruntime's CPU provider has float16 kernels for few operators). onnxruntime folds those nodes into
// constants when it loads the model, so the speed is that of the float32 graph.
import { createRequire } from "node:module";
import type { onnx as OnnxNamespace } from "onnx-proto";
import { float16Bits, float16Value } from "./float16.ts";

const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: typeof OnnxNamespace };
const { DataType } = onnx.TensorProto;

export { float16Bits, float16Value };

/** What a float32 value becomes after a round trip through float16. */
export function roundToFloat16(values: Float32Array): Float32Array {
  return values.map((v) => float16Value(float16Bits(v)));
}

/**
 * Symmetric int8 quantisation along one axis (one scale per slice, zero point 0): the scales, the int8
 * values, and the float32 values they stand for. `axis` null gives one scale for the whole tensor.
 */
export function quantiseInt8(
  values: Float32Array,
  dims: readonly number[],
  axis: number | null,
): { scales: Float32Array; q: Int8Array; dequantised: Float32Array } {
  const channels = axis === null ? 1 : (dims[axis] ?? 1);
  const inner = axis === null ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  values.forEach((v, i) => {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c] ?? 0, Math.abs(v));
  });
  // An all-zero channel keeps scale 1 so that dequantising never divides by or multiplies with 0/0.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  const dequantised = new Float32Array(values.length);
  values.forEach((v, i) => {
    const s = scales[channelOf(i)] ?? 1;
    const n = Math.max(-127, Math.min(127, Math.round(v / s)));
    q[i] = n;
    dequantised[i] = n * s;
  });
  return { scales, q, dequantised };
}

function floatsOf(init: OnnxNamespace.ITensorProto): Float32Array {
  const raw = init.rawData;
  if (init.dataType !== DataType.FLOAT || !raw) throw new Error(`initializer ${init.name} is not raw float32`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function dims(init: OnnxNamespace.ITensorProto): number[] {
  return (init.dims ?? []).map(Number);
}

/** Rewrites a float32 model: each initializer `convert` returns something for is replaced by it. */
function rewrite(
  bytes: Uint8Array,
  convert: (
    init: OnnxNamespace.ITensorProto,
  ) => { initializers: OnnxNamespace.ITensorProto[]; node: OnnxNamespace.INodeProto } | null,
  docSuffix: string,
  weightType: string,
): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error("the model has no graph");
  const initializers: OnnxNamespace.ITensorProto[] = [];
  const nodes: OnnxNamespace.INodeProto[] = [];
  for (const init of graph.initializer ?? []) {
    const converted = convert(init);
    if (!converted) {
      initializers.push(init);
      continue;
    }
    initializers.push(...converted.initializers);
    nodes.push(converted.node);
  }
  graph.initializer = initializers.map((i) => onnx.TensorProto.create(i));
  graph.node = [...nodes.map((n) => onnx.NodeProto.create(n)), ...(graph.node ?? [])];
  model.docString = `${model.docString} ${docSuffix}`;
  model.metadataProps = [
    ...(model.metadataProps ?? []),
    onnx.StringStringEntryProto.create({ key: "labfleet.weights", value: weightType }),
  ];
  return onnx.ModelProto.encode(model).finish();
}

/** Every float32 initializer stored as float16, with a Cast back to float32 under its original name. */
export function toFloat16Weights(bytes: Uint8Array): Uint8Array {
  return rewrite(
    bytes,
    (init) => {
      if (init.dataType !== DataType.FLOAT) return null;
      const values = floatsOf(init);
      const raw = new Uint8Array(values.length * 2);
      const view = new DataView(raw.buffer);
      values.forEach((v, i) => {
        view.setUint16(i * 2, float16Bits(v), true);
      });
      const stored = `${init.name}_fp16`;
      return {
        initializers: [{ name: stored, dims: dims(init), dataType: DataType.FLOAT16, rawData: raw }],
        node: {
          name: `${init.name}_to_fp32`,
          opType: "Cast",
          input: [stored],
          output: [init.name ?? ""],
          attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }],
        },
      };
    },
    "Weights stored as float16 and cast to float32 when loaded.",
    "float16",
  );
}

/**
 * The float32 initializers of rank 2 and more (the weights) stored as int8 with a DequantizeLinear back to
 * float32; biases stay float32, as quantisers usually leave them. `axisOf` picks the axis that gets its own
 * scales (the output channels), or null for one scale per tensor.
 */
export function toInt8Weights(
  bytes: Uint8Array,
  axisOf: (name: string, dims: readonly number[]) => number | null,
): Uint8Array {
  return rewrite(
    bytes,
    (init) => {
      const shape = dims(init);
      if (init.dataType !== DataType.FLOAT || shape.length < 2) return null;
      const name = init.name ?? "";
      const axis = axisOf(name, shape);
      const { scales, q } = quantiseInt8(floatsOf(init), shape, axis);
      const scaleBytes = new Uint8Array(scales.length * 4);
      const view = new DataView(scaleBytes.buffer);
      scales.forEach((s, i) => {
        view.setFloat32(i * 4, s, true);
      });
      const scaleDims = axis === null ? [] : [scales.length];
      return {
        initializers: [
          { name: `${name}_int8`, dims: shape, dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) },
          { name: `${name}_scale`, dims: scaleDims, dataType: DataType.FLOAT, rawData: scaleBytes },
          {
            name: `${name}_zero`,
            dims: scaleDims,
            dataType: DataType.INT8,
            rawData: new Uint8Array(scales.length),
          },
        ],
        node: {
          name: `${name}_dequantise`,
          opType: "DequantizeLinear",
          input: [`${name}_int8`, `${name}_scale`, `${name}_zero`],
          output: [name],
          attribute: axis === null ? [] : [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: axis }],
        },
      };
    },
    "Weights stored as int8 (symmetric, per output channel) and dequantised to float32 when loaded.",
    "int8",
  );
}
