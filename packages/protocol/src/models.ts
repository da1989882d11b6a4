import { z } from "zod";
import { canonicalJson } from "./canonical-json.ts";
import { epochMsSchema, idSchema } from "./common.ts";

// ---------- Models and their files ----------

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 in lower-case hex");

/** The largest model file the system accepts: 64 GiB. */
export const MAX_MODEL_FILE_BYTES = 64 * 1024 ** 3;

/** tfjs: a TensorFlow.js graph or layers model (weights manifest JSON plus weight shards). */
export const modelFormatSchema = z.enum(["onnx", "gguf", "tfjs"]);
export type ModelFormat = z.infer<typeof modelFormatSchema>;

export const modelRuntimeSchema = z.enum(["onnxruntime-node", "node-llama-cpp", "tfjs-wasm"]);
export type ModelRuntime = z.infer<typeof modelRuntimeSchema>;

/**
 * How the agent feeds and scores a model: the name of a task adapter in the agent
 * (apps/agent/src/workloads/tasks). `onnx-generic` benchmarks any ONNX model on inputs made from its own
 * input metadata and has no evaluation; `llm` runs a GGUF through node-llama-cpp; `face-detection` runs a
 * TensorFlow.js detector on the wasm backend.
 */
export const modelTaskSchema = z.enum([
  "ocr",
  "vad",
  "tabular-classification",
  "cnn-synthetic",
  "onnx-generic",
  "llm",
  "face-detection",
]);
export type ModelTask = z.infer<typeof modelTaskSchema>;

/** A file a model version consists of. Files are content-addressed: the SHA-256 names them on the server. */
export const modelFileRefSchema = z.object({
  sha256: sha256HexSchema,
  sizeBytes: z.number().int().min(1).max(MAX_MODEL_FILE_BYTES),
  /** A plain file name, unique within the version (e.g. "rec.onnx", "keys.txt", "eval.json"). */
  name: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a plain file name"),
  /** What the task adapter uses it for: "model", "det", "rec", "keys", "eval", ... */
  role: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[a-z][a-z0-9-]*$/),
});
export type ModelFileRef = z.infer<typeof modelFileRefSchema>;

/** What an agent needs to hold and run one model version. */
export const modelVersionRefSchema = z.object({
  versionId: idSchema,
  task: modelTaskSchema,
  runtime: modelRuntimeSchema,
  files: z.array(modelFileRefSchema).min(1).max(32),
});
export type ModelVersionRef = z.infer<typeof modelVersionRefSchema>;

// ---------- Deployments: the server says what it wants, the agent says where it is ----------

/** One deployment of one version to this device. */
export const desiredModelSchema = modelVersionRefSchema.extend({ deploymentId: idSchema });
export type DesiredModel = z.infer<typeof desiredModelSchema>;

/**
 * server → agent `models:desired`: the full set of versions this device should hold, sent on connect and on
 * every change. A version missing from the set may stay in the agent's cache (LRU) but is no longer reported.
 */
export const modelsDesiredSchema = z.object({ models: z.array(desiredModelSchema).max(200) });
export type ModelsDesired = z.infer<typeof modelsDesiredSchema>;

export const deploymentDeviceStateSchema = z.enum(["queued", "downloading", "verifying", "ready", "failed", "removed"]);
export type DeploymentDeviceState = z.infer<typeof deploymentDeviceStateSchema>;

export const codedErrorSchema = z.object({
  code: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Z][A-Z0-9_]*$/),
  message: z.string().max(2_000),
});
export type CodedError = z.infer<typeof codedErrorSchema>;

export const modelStatusSchema = z.object({
  deploymentId: idSchema,
  versionId: idSchema,
  state: deploymentDeviceStateSchema,
  /** Download progress over all the version's files, 0–100; null before it is known. */
  percent: z.number().min(0).max(100).nullable(),
  error: codedErrorSchema.nullable(),
});
export type ModelStatus = z.infer<typeof modelStatusSchema>;

/** agent → server `models:status`: the state of some (or all) of the desired versions. */
export const modelsStatusReportSchema = z.object({ models: z.array(modelStatusSchema).min(1).max(200) });
export type ModelsStatusReport = z.infer<typeof modelsStatusReportSchema>;

// ---------- Runs ----------

export const runKindSchema = z.enum(["benchmark", "evaluation"]);
export type RunKind = z.infer<typeof runKindSchema>;

export const runStatusSchema = z.enum(["queued", "running", "succeeded", "failed", "cancelled", "timed_out"]);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const finalRunStatusSchema = z.enum(["succeeded", "failed", "cancelled", "timed_out"]);

export const runSpecSchema = z
  .object({
    kind: runKindSchema,
    /** Untimed iterations before measuring. */
    warmup: z.number().int().min(0).max(1_000).default(3),
    /** Measured iterations; when both are set, whichever ends first. At least one for a benchmark. */
    iterations: z.number().int().min(1).max(1_000_000).optional(),
    durationMs: z.number().int().min(100).max(3_600_000).optional(),
    batchSize: z.number().int().min(1).max(256).default(1),
    /** Intra-op threads; the agent never uses more than the device's cores. Absent: the runtime's default. */
    threads: z.number().int().min(1).max(1_024).optional(),
    executionProvider: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[a-z0-9-]+$/)
      .default("cpu"),
    /** The run is killed and reported timed_out after this long. */
    timeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(6 * 3_600_000)
      .default(600_000),
    /** Language models: prompt length in tokens and tokens to generate. */
    promptTokens: z.number().int().min(1).max(32_768).optional(),
    generateTokens: z.number().int().min(1).max(8_192).optional(),
  })
  .refine((s) => s.kind === "evaluation" || s.iterations !== undefined || s.durationMs !== undefined, {
    message: "a benchmark needs iterations or durationMs",
    path: ["iterations"],
  });
export type RunSpec = z.infer<typeof runSpecSchema>;
export type RunSpecInput = z.input<typeof runSpecSchema>;

/** server → agent `run:start` (acked: the agent accepted it, or says why not). */
export const runStartSchema = modelVersionRefSchema.extend({ runId: idSchema, spec: runSpecSchema });
export type RunStart = z.infer<typeof runStartSchema>;
export type RunStartInput = z.input<typeof runStartSchema>;

/** server → agent `run:cancel`. */
export const runCancelSchema = z.object({ runId: idSchema });
export type RunCancel = z.infer<typeof runCancelSchema>;

export const runPhaseSchema = z.enum(["downloading", "loading", "warmup", "measuring", "evaluating"]);
/** agent → server `run:progress`: live only (not buffered); the result goes through the buffer. */
export const runProgressSchema = z.object({
  runId: idSchema,
  phase: runPhaseSchema,
  done: z.number().int().min(0),
  /** null when the run is bounded by time rather than count. */
  total: z.number().int().min(0).nullable(),
  elapsedMs: z.number().min(0),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

const ms = z.number().min(0).max(1e9);
export const latencyStatsSchema = z.object({
  count: z.number().int().min(1),
  mean: ms,
  p50: ms,
  p90: ms,
  p95: ms,
  p99: ms,
  max: ms,
});
export type LatencyStats = z.infer<typeof latencyStatsSchema>;

/** One scored item of an evaluation (shown in the UI: what the model saw, what was expected, what it said). */
export const evaluationItemSchema = z.object({
  input: z.string().max(200),
  /** Capped so that a whole result (up to 100 items) stays well under one event's size limit. */
  expected: z.string().max(500),
  got: z.string().max(500),
  /** 0–1: 1 for a correct class; for text, 1 − the normalised edit distance. */
  score: z.number().min(0).max(1),
});
export type EvaluationItem = z.infer<typeof evaluationItemSchema>;

/** What the hardware did during the run (from the agent's own sampler); null where it does not expose it. */
export const runSystemStatsSchema = z.object({
  cpuLoadPctMean: z.number().min(0).max(100).nullable(),
  cpuTempCMax: z.number().min(-50).max(200).nullable(),
  freqMHzMean: z.number().min(0).max(100_000).nullable(),
  freqMHzMax: z.number().min(0).max(100_000).nullable(),
  /** Share of the run's samples in which the CPU was throttling, 0–1. */
  throttledShare: z.number().min(0).max(1).nullable(),
  powerWMean: z.number().min(0).max(10_000).nullable(),
  /** Energy per inference (per item of a batch), joules; null without a power reading. */
  energyJPerInference: z.number().min(0).nullable(),
});
export type RunSystemStats = z.infer<typeof runSystemStatsSchema>;

/** Where and how a result was measured. Signed with the result by the device. */
export const environmentCardSchema = z.object({
  deviceId: idSchema,
  agentVersion: z.string().max(64),
  nodeVersion: z.string().max(64),
  os: z.string().max(200),
  kernel: z.string().max(200),
  arch: z.string().max(32),
  cpuModel: z.string().max(200),
  cpuCores: z.number().int().min(1).max(4_096),
  memTotalBytes: z.number().int().min(0),
  runtime: modelRuntimeSchema,
  runtimeVersion: z.string().max(64),
  executionProvider: z.string().max(40),
  threads: z.number().int().min(1).max(4_096).nullable(),
  batchSize: z.number().int().min(1),
  /** The SHA-256 of every file of the version, by name. */
  modelSha256: z.record(z.string().max(120), sha256HexSchema),
});
export type EnvironmentCard = z.infer<typeof environmentCardSchema>;

export const runResultSchema = z.object({
  runId: idSchema,
  status: finalRunStatusSchema,
  startedAt: epochMsSchema,
  finishedAt: epochMsSchema,
  /** Per-inference latency, ms (benchmarks; evaluations report it too). */
  latencyMs: latencyStatsSchema.nullable(),
  /** Items per second over the measured phase (batch × iterations / time). */
  throughputPerS: z.number().min(0).nullable(),
  /** Evaluations: mean score over the evaluation set, 0–1. */
  accuracy: z.number().min(0).max(1).nullable(),
  evaluation: z.array(evaluationItemSchema).max(100).nullable(),
  /** Language models. */
  llm: z
    .object({
      timeToFirstTokenMs: ms,
      promptTokensPerS: z.number().min(0),
      generationTokensPerS: z.number().min(0),
      generatedText: z.string().max(4_000),
    })
    .nullable(),
  system: runSystemStatsSchema,
  /** Why a run failed: the runtime's own message reaches the UI. */
  error: codedErrorSchema.nullable(),
  env: environmentCardSchema,
});
export type RunResult = z.infer<typeof runResultSchema>;

export const signedRunResultSchema = runResultSchema.extend({
  /** HMAC-SHA256 (hex) of runResultSigningText(result), keyed with runSigningKey(the device secret). */
  signature: sha256HexSchema,
});
export type SignedRunResult = z.infer<typeof signedRunResultSchema>;

/**
 * The text a device signs: the canonical JSON of the result without its signature. The key is the SHA-256
 * (hex) of the device secret, which the server also holds (it stores only that hash), so the server can
 * verify without ever storing the secret itself.
 */
export function runResultSigningText(result: RunResult | SignedRunResult): string {
  const { signature: _omit, ...rest } = result as SignedRunResult;
  return canonicalJson(rest);
}
