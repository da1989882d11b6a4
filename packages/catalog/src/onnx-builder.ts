import { createRequire } from "node:module";
import type { onnx as OnnxNamespace } from "onnx-proto";

// onnx-proto is a CommonJS bundle whose `onnx` namespace Node's ESM loader cannot see as a named export.
const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: typeof OnnxNamespace };

/** A dimension: a fixed size or a symbolic name (e.g. "N" for a batch of any size). */
export type Dim = number | string;

/** A tensor input or output of a graph, as the catalog describes it to people and adapters. */
export interface TensorInfo {
  name: string;
  type: "float32";
  shape: Dim[];
}

/** A float32 weight, stored little-endian in raw_data so the bytes do not depend on protobuf's packing. */
export interface Initializer {
  name: string;
  dims: number[];
  values: Float32Array;
}

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Array<
    { name: string; ints: number[] } | { name: string; int: number } | { name: string; float: number }
  >;
}

export interface ModelSpec {
  graphName: string;
  docString: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  initializers: Initializer[];
  nodes: GraphNode[];
  /** Facts written into the model's metadata_props, in this order. */
  metadata: Array<[string, string]>;
}

/** The opset the generated graphs use: old enough for any onnxruntime a classroom still runs, new enough for Softmax on the last axis. */
export const OPSET = 13;
const IR_VERSION = 8;

function valueInfo(info: TensorInfo): OnnxNamespace.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: info.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return out;
}

function attribute(a: NonNullable<GraphNode["attributes"]>[number]): OnnxNamespace.IAttributeProto {
  if ("ints" in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints };
  if ("int" in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.int };
  return { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.float };
}

/** Serialises a small feed-forward graph. Nothing time- or machine-dependent goes in, so one spec gives one byte string. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const model: OnnxNamespace.IModelProto = {
    irVersion: IR_VERSION,
    producerName: "LabFleet",
    producerVersion: "1",
    docString: spec.docString,
    opsetImport: [{ domain: "", version: OPSET }],
    metadataProps: spec.metadata.map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: spec.initializers.map((init) => ({
        name: init.name,
        dims: init.dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: littleEndianBytes(init.values),
      })),
      node: spec.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: (n.attributes ?? []).map(attribute),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
