import { availableParallelism } from "node:os";
import type { WorkloadJob } from "../ipc.ts";
import { adapterFor } from "../tasks/index.ts";
import { TaskError } from "../tasks/task-error.ts";
import type { RuntimeBinding, TaskContext } from "../types.ts";
import { importRuntimePackage } from "./packages.ts";

type Ort = TaskContext["ort"];

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2_000) || "unknown error";
}

function sessionOptions(job: WorkloadJob): TaskContext["sessionOptions"] {
  const opts: TaskContext["sessionOptions"] = { executionProviders: [job.spec.executionProvider] };
  // onnxruntime-node throws on `intraOpNumThreads: undefined`: the key is set only when a count was asked for.
  if (job.threads !== null) opts.intraOpNumThreads = Math.min(job.threads, availableParallelism());
  return opts;
}

/** onnxruntime-node, with the task adapters of ../tasks. */
export async function loadOnnxRuntime(): Promise<RuntimeBinding> {
  let ort: Ort;
  try {
    const mod = await importRuntimePackage<Ort & { default?: Ort }>("onnxruntime-node");
    // The package is CommonJS: depending on the loader its exports sit on the namespace or on `default`.
    ort = mod.InferenceSession ? mod : (mod.default as Ort);
  } catch (e) {
    throw new TaskError(
      "RUNTIME_UNAVAILABLE",
      `onnxruntime-node cannot be loaded on this device (${messageOf(e)}). Install it next to the agent: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`,
    );
  }
  return {
    version: String(ort.env?.versions?.node ?? "unknown"),
    async prepare(job, files) {
      const adapter = adapterFor(job.task);
      if (!adapter) throw new TaskError("TASK_UNSUPPORTED", `The agent has no ${job.task} task for onnxruntime-node.`);
      return adapter.prepare({ ort, files, sessionOptions: sessionOptions(job), batchSize: job.spec.batchSize });
    },
  };
}
