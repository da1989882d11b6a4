import type { ModelRuntime } from "@labfleet/protocol";
import type { RuntimeBinding } from "../types.ts";
import { loadLlamaRuntime } from "./llama.ts";
import { loadOnnxRuntime } from "./onnx.ts";
import { loadTfjsRuntime } from "./tfjs.ts";

/**
 * Every runtime the workload child can load, by name. Each is loaded only here, inside the child: the agent
 * itself never holds one. A loader that cannot find its runtime throws a TaskError RUNTIME_UNAVAILABLE that
 * says how to install it.
 */
const LOADERS: Record<ModelRuntime, () => Promise<RuntimeBinding>> = {
  "onnxruntime-node": loadOnnxRuntime,
  "node-llama-cpp": loadLlamaRuntime,
  "tfjs-wasm": loadTfjsRuntime,
};

export function loadRuntime(runtime: ModelRuntime): Promise<RuntimeBinding> {
  return LOADERS[runtime]();
}
