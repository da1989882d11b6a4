import type { PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole } from "./files.ts";
import { feedsFromMetadata } from "./inputs.ts";

/** Benchmarks any ONNX model on seeded inputs made from its own input metadata. It has no evaluation. */
export async function prepareGeneric(ctx: TaskContext): Promise<PreparedTask> {
  const session = await ctx.ort.InferenceSession.create(fileWithRole(ctx.files, "model").path, ctx.sessionOptions);
  const feeds = feedsFromMetadata(ctx.ort, session, ctx.batchSize);
  return {
    async runOnce() {
      await session.run(feeds);
    },
    async dispose() {
      await session.release();
    },
  };
}

export const onnxGenericAdapter: TaskAdapter = { task: "onnx-generic", prepare: prepareGeneric };

/** The seeded CNNs LabFleet generates are plain ONNX models with random weights: only their speed means anything. */
export const cnnSyntheticAdapter: TaskAdapter = { task: "cnn-synthetic", prepare: prepareGeneric };
