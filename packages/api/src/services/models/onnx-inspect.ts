import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { z } from "zod";
import { AppError } from "../../errors.ts";

const tensorIoSchema = z.object({
  name: z.string().max(500),
  /** "float32", "int64", ...; "non-tensor" for maps and sequences. */
  type: z.string().max(40),
  /** Numbers for fixed dimensions, strings for symbolic ones ("" when unnamed). */
  shape: z.array(z.union([z.number().int(), z.string().max(200)])).max(64),
});
export type TensorIo = z.infer<typeof tensorIoSchema>;

const inspectionSchema = z.object({
  inputs: z.array(tensorIoSchema).max(1000),
  outputs: z.array(tensorIoSchema).max(1000),
});
export type OnnxInspection = z.infer<typeof inspectionSchema>;

const childAnswerSchema = z.union([
  z.object({ ok: z.literal(true), data: inspectionSchema }),
  z.object({ ok: z.literal(false), message: z.string() }),
]);

/**
 * The child's program, passed with -e rather than shipped as a file: the server is bundled into one file for
 * production, where a sibling script would not be found. It loads the model, prints one JSON line and exits.
 */
const CHILD_SOURCE = `
const [ortPath, modelPath] = process.argv.slice(1);
const ort = require(ortPath);
const io = (list) => list.map((m) => ({
  name: m.name,
  type: m.isTensor ? m.type : "non-tensor",
  shape: m.isTensor ? Array.from(m.shape) : [],
}));
ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "disabled" })
  .then(async (s) => {
    const data = { inputs: io(s.inputMetadata), outputs: io(s.outputMetadata) };
    await s.release();
    process.stdout.write(JSON.stringify({ ok: true, data }) + "\\n", () => process.exit(0));
  })
  .catch((e) => {
    process.stdout.write(JSON.stringify({ ok: false, message: String(e && e.message || e) }) + "\\n", () => process.exit(0));
  });
`;

export interface InspectOptions {
  /** Loading a multi-gigabyte model takes a while; a model that never finishes loading is refused. */
  timeoutMs?: number;
}

function invalid(message: string): AppError {
  // The runtime's message is about the file (e.g. "Protobuf parsing failed"), not about the server.
  return new AppError("MODEL_INVALID", `The file is not a valid ONNX model: ${message.slice(0, 300)}`);
}

/**
 * Loads an ONNX file with onnxruntime-node in a separate process and reads its inputs and outputs. A separate
 * process because a hostile or broken model can crash the native runtime or eat memory, and the server must
 * survive that. The V8 heap of the child is capped; the runtime's own (native) memory is not, so uploads are
 * also capped in size.
 */
export async function inspectOnnx(modelPath: string, opts: InspectOptions = {}): Promise<OnnxInspection> {
  const ortPath = createRequire(import.meta.url).resolve("onnxruntime-node");
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const child = spawn(process.execPath, ["--max-old-space-size=256", "-e", CHILD_SOURCE, ortPath, modelPath], {
    stdio: ["ignore", "pipe", "pipe"],
    // No NODE_OPTIONS from the parent (a test's --import tsx, a debugger): the child is plain Node.
    env: { PATH: process.env.PATH ?? "", OMP_NUM_THREADS: "1", NODE_ENV: "production" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    if (stdout.length < 4 * 1024 * 1024) stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  }).finally(() => clearTimeout(timer));

  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) {
    if (exit.signal === "SIGKILL") throw invalid(`loading it took longer than ${Math.round(timeoutMs / 1000)} s`);
    // A crash of the native runtime on a malformed file ends here, as does running out of memory.
    const last = stderr.trim().split("\n").filter(Boolean).at(-1) ?? "";
    throw invalid(`the runtime stopped while loading it (exit ${exit.code ?? exit.signal}${last ? `: ${last}` : ""})`);
  }
  const answer = childAnswerSchema.safeParse(JSON.parse(line));
  if (!answer.success) throw new AppError("INTERNAL", "The model inspector answered in an unexpected form.");
  if (!answer.data.ok) throw invalid(answer.data.message.replace(/^Load model from .* failed:/, ""));
  return answer.data.data;
}
