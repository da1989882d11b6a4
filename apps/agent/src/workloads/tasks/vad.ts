import type { Tensor } from "onnxruntime-node";
import type { PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole } from "./files.ts";
import { seededRandom } from "./inputs.ts";
import { TaskError } from "./task-error.ts";

/** One 32 ms frame at 16 kHz, with the 64 samples of context that Silero VAD v5's own wrapper puts before it. */
const WINDOW = 512;
const CONTEXT = 64;
const SAMPLE_RATE = 16_000n;

/**
 * Silero VAD v5 as it runs in a stream: one frame per inference, the recurrent state carried from each call
 * to the next. The audio is seeded noise: a benchmark of speed, with no evaluation set.
 */
async function prepare(ctx: TaskContext): Promise<PreparedTask> {
  const session = await ctx.ort.InferenceSession.create(fileWithRole(ctx.files, "model").path, ctx.sessionOptions);
  for (const name of ["input", "state", "sr"]) {
    if (!session.inputNames.includes(name)) {
      throw new TaskError(
        "INPUT_UNSUPPORTED",
        `This is not a Silero VAD v5 model: it has inputs ${session.inputNames.join(", ")}, not input, state and sr.`,
      );
    }
  }
  const stateOut = session.outputNames[1];
  if (!stateOut) throw new TaskError("OUTPUT_UNEXPECTED", "This Silero VAD model has no state output.");
  const b = ctx.batchSize;
  const rand = seededRandom(1);
  const audio = Float32Array.from({ length: b * (WINDOW + CONTEXT) }, () => (rand() - 0.5) * 0.2);
  const feeds: Record<string, Tensor> = {
    input: new ctx.ort.Tensor("float32", audio, [b, WINDOW + CONTEXT]),
    state: new ctx.ort.Tensor("float32", new Float32Array(2 * b * 128), [2, b, 128]),
    sr: new ctx.ort.Tensor("int64", BigInt64Array.from([SAMPLE_RATE]), []),
  };
  return {
    async runOnce() {
      const out = await session.run(feeds);
      const next = out[stateOut];
      if (next) feeds.state = next;
    },
    async dispose() {
      await session.release();
    },
  };
}

export const vadAdapter: TaskAdapter = { task: "vad", prepare };
