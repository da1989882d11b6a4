import { readFile } from "node:fs/promises";
import type { EvaluationItem } from "@labfleet/protocol";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import type { PreparedTask, TaskAdapter, TaskContext } from "../types.ts";
import { fileWithRole, findFileWithRole } from "./files.ts";
import { seededRandom } from "./inputs.ts";
import { TaskError } from "./task-error.ts";

/** The TabularEvalSet of @labfleet/catalog, parsed: the file comes from the server like any other input. */
const tabularEvalSetSchema = z
  .object({
    kind: z.literal("tabular-classification"),
    classes: z.array(z.string().max(200)).min(2).max(10_000),
    featureNames: z.array(z.string().max(200)).min(1).max(100_000),
    items: z.array(z.object({ features: z.array(z.number()), label: z.number().int().min(0) })).min(1),
  })
  .refine((s) => s.items.every((i) => i.features.length === s.featureNames.length && i.label < s.classes.length), {
    message: "every item needs one value per feature name and a label that indexes classes",
  });
export type TabularEvalSetParsed = z.infer<typeof tabularEvalSetSchema>;

export async function readTabularEvalSet(path: string): Promise<TabularEvalSetParsed> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new TaskError("EVAL_SET_INVALID", `The evaluation set is not readable JSON: ${(e as Error).message}`);
  }
  const parsed = tabularEvalSetSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TaskError(
      "EVAL_SET_INVALID",
      `The evaluation set is invalid at ${issue?.path.join(".")}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/**
 * The predicted class of each row from a classifier's first output: the argmax of its scores when it has one
 * value per class, or the value itself when it is already a label (one integer per row, as sklearn-onnx does).
 */
export function predictedClasses(output: Tensor, rows: number, classCount: number): number[] {
  const data = output.data;
  const perRow = data.length / rows;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    if (perRow === 1) {
      out.push(Number(data[r]));
      continue;
    }
    if (perRow !== classCount) {
      throw new TaskError(
        "OUTPUT_UNEXPECTED",
        `The model's first output has ${perRow} values per row; the evaluation set has ${classCount} classes.`,
      );
    }
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < perRow; c++) {
      const v = Number(data[r * perRow + c]);
      if (v > bestScore) {
        bestScore = v;
        best = c;
      }
    }
    out.push(best);
  }
  return out;
}

function featureCount(session: InferenceSession, evalSet: TabularEvalSetParsed | null): number {
  const dim = session.inputMetadata[0]?.isTensor ? session.inputMetadata[0].shape[1] : undefined;
  if (typeof dim === "number" && dim > 0) return dim;
  if (evalSet) return evalSet.featureNames.length;
  throw new TaskError(
    "INPUT_UNSUPPORTED",
    "The model does not say how many features it takes, and it has no evaluation set.",
  );
}

async function prepare(ctx: TaskContext): Promise<PreparedTask> {
  const session = await ctx.ort.InferenceSession.create(fileWithRole(ctx.files, "model").path, ctx.sessionOptions);
  const evalFile = findFileWithRole(ctx.files, "eval");
  const evalSet = evalFile ? await readTabularEvalSet(evalFile.path) : null;
  const n = featureCount(session, evalSet);
  if (evalSet && evalSet.featureNames.length !== n) {
    throw new TaskError(
      "EVAL_SET_INVALID",
      `The model takes ${n} features; the evaluation set has ${evalSet.featureNames.length}.`,
    );
  }
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  // Benchmark rows: the evaluation set's own rows when there is one (real values), seeded ones otherwise.
  const rand = seededRandom(1);
  const rows = new Float32Array(ctx.batchSize * n);
  for (let r = 0; r < ctx.batchSize; r++) {
    const item = evalSet?.items[r % evalSet.items.length];
    for (let c = 0; c < n; c++) rows[r * n + c] = item ? (item.features[c] ?? 0) : rand();
  }
  const feeds = { [inputName]: new ctx.ort.Tensor("float32", rows, [ctx.batchSize, n]) };

  const task: PreparedTask = {
    async runOnce() {
      await session.run(feeds);
    },
    async dispose() {
      await session.release();
    },
  };
  if (evalSet) {
    task.evaluate = async (onItem) => {
      const items: EvaluationItem[] = [];
      const total = evalSet.items.length;
      for (const [i, item] of evalSet.items.entries()) {
        const input = new ctx.ort.Tensor("float32", Float32Array.from(item.features), [1, n]);
        const out = await session.run({ [inputName]: input });
        const predicted = predictedClasses(out[outputName] as Tensor, 1, evalSet.classes.length)[0] ?? -1;
        items.push({
          input: item.features.join(", ").slice(0, 200),
          expected: evalSet.classes[item.label] ?? String(item.label),
          got: evalSet.classes[predicted] ?? String(predicted),
          score: predicted === item.label ? 1 : 0,
        });
        onItem(i + 1, total);
      }
      return items;
    };
  }
  return task;
}

export const tabularAdapter: TaskAdapter = { task: "tabular-classification", prepare };
