import type { ModelTask } from "@labfleet/protocol";
import type { TaskAdapter } from "../types.ts";
import { ocrAdapter } from "./ocr.ts";
import { cnnSyntheticAdapter, onnxGenericAdapter } from "./onnx-generic.ts";
import { tabularAdapter } from "./tabular.ts";
import { vadAdapter } from "./vad.ts";

/** The task adapters of the ONNX runtime, by task. Language models run through node-llama-cpp, not here. */
const ADAPTERS: ReadonlyMap<ModelTask, TaskAdapter> = new Map(
  [onnxGenericAdapter, cnnSyntheticAdapter, tabularAdapter, vadAdapter, ocrAdapter].map((a) => [a.task, a]),
);

export function adapterFor(task: ModelTask): TaskAdapter | undefined {
  return ADAPTERS.get(task);
}
