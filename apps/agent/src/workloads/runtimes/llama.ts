import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { RunResult } from "@labfleet/protocol";
import type { WorkloadJob } from "../ipc.ts";
import { TaskError } from "../tasks/task-error.ts";
import type { CachedFile, PreparedTask, RuntimeBinding } from "../types.ts";
import { findRuntimePackage, importRuntimePackage } from "./packages.ts";

// The part of node-llama-cpp 3.21 used here. The package is optional on a device and not a dependency of the
// agent, so its types are written out rather than imported.
type Token = number;
type LogLevel = "disabled" | "fatal" | "error" | "warn" | "info" | "log" | "debug";
interface LlamaSequence {
  evaluate(tokens: Token[], options: { temperature: number }): AsyncGenerator<Token, void>;
  clearHistory(): Promise<void>;
}
interface LlamaContext {
  getSequence(): LlamaSequence;
  dispose(): Promise<void>;
}
interface LlamaModel {
  readonly trainContextSize: number;
  readonly tokens: { readonly bos: Token | null };
  tokenize(text: string): Token[];
  detokenize(tokens: readonly Token[]): string;
  createContext(options: { contextSize: number; threads: number; batchSize: number }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}
interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number | "auto" }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}
interface NodeLlamaCpp {
  LlamaLogLevel: Record<"fatal" | "error" | "warn", LogLevel>;
  getLlama(options: {
    gpu: false | "cuda" | "vulkan" | "metal";
    build: "never";
    skipDownload: boolean;
    usePrebuiltBinaries: boolean;
    progressLogs: boolean;
    maxThreads: number;
    logLevel: LogLevel;
    logger: (level: LogLevel, message: string) => void;
  }): Promise<Llama>;
}

export const DEFAULT_PROMPT_TOKENS = 32;
export const DEFAULT_GENERATE_TOKENS = 32;
/** The wire's limit on generated text. */
const MAX_TEXT = 4_000;
/** Room left in the context past prompt + generation (llama.cpp keeps a little for itself). */
const CONTEXT_SLACK = 16;
/** Any text works: it is only tokenized and repeated until the prompt has its exact length. */
const PROMPT_SEED_TEXT = "The students in the lab measure how fast this small computer runs a language model today. ";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2_000) || "unknown error";
}

/** "cpu" → no GPU; a GPU backend only when the run asks for it (node-llama-cpp's own names). */
function gpuOf(job: WorkloadJob): false | "cuda" | "vulkan" | "metal" {
  const ep = job.spec.executionProvider;
  if (ep === "cpu") return false;
  if (ep === "cuda" || ep === "vulkan" || ep === "metal") return ep;
  throw new TaskError(
    "BAD_REQUEST",
    `node-llama-cpp has no execution provider "${ep}": use cpu, cuda, vulkan or metal.`,
  );
}

/** Never above the cores: node-llama-cpp's default of 4 threads on a 2-core device runs hundreds of times slower. */
export function llamaThreads(job: Pick<WorkloadJob, "threads">, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(job.threads ?? cores, cores));
}

function packageVersion(): string {
  const dir = findRuntimePackage("node-llama-cpp");
  if (!dir) return "unknown";
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** What one measured generation showed. */
interface Generation {
  timeToFirstTokenMs: number;
  promptTokensPerS: number;
  generationTokensPerS: number;
  text: string;
}

/** node-llama-cpp, for GGUF language models (optional on a device). */
export async function loadLlamaRuntime(): Promise<RuntimeBinding> {
  let mod: NodeLlamaCpp;
  try {
    mod = await importRuntimePackage<NodeLlamaCpp>("node-llama-cpp");
  } catch (e) {
    throw new TaskError(
      "RUNTIME_UNAVAILABLE",
      `node-llama-cpp cannot be loaded on this device (${messageOf(e)}). Install it next to the agent: ` +
        "npm install node-llama-cpp@3.21.1 (or rerun the agent installer with --with-llama).",
    );
  }
  const version = packageVersion();
  return {
    version,
    async prepare(job, files) {
      return prepareLlama(mod, job, files);
    },
  };
}

async function prepareLlama(
  mod: NodeLlamaCpp,
  job: WorkloadJob,
  files: ReadonlyMap<string, CachedFile>,
): Promise<PreparedTask> {
  const file = [...files.values()].find((f) => f.role === "model");
  if (!file) throw new TaskError("MODEL_INVALID", 'The version has no file of role "model" (the GGUF).');
  const gpu = gpuOf(job);
  const threads = llamaThreads(job);
  // llama.cpp reports why a load failed only in its log; the last error lines become the failure's message.
  const errors: string[] = [];
  let llama: Llama;
  try {
    llama = await mod.getLlama({
      gpu,
      // Prebuilt binaries only: the agent never downloads or compiles llama.cpp while a run waits.
      build: "never",
      skipDownload: true,
      usePrebuiltBinaries: true,
      progressLogs: false,
      maxThreads: threads,
      logLevel: mod.LlamaLogLevel.warn,
      logger: (level, message) => {
        if (level === mod.LlamaLogLevel.error || level === mod.LlamaLogLevel.fatal) {
          errors.push(message.trim());
          if (errors.length > 10) errors.shift();
        }
      },
    });
  } catch (e) {
    throw new TaskError(
      "RUNTIME_UNAVAILABLE",
      `node-llama-cpp has no usable ${gpu === false ? "CPU" : gpu} build on this device: ${messageOf(e)}`,
    );
  }
  const failed = (e: unknown) => {
    const detail = errors.filter((m) => m.length > 0).join("; ");
    return new Error(detail ? `${messageOf(e)}: ${detail}`.slice(0, 2_000) : messageOf(e));
  };
  const promptCount = job.spec.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const generateCount = job.spec.generateTokens ?? DEFAULT_GENERATE_TOKENS;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: file.path, gpuLayers: gpu === false ? 0 : "auto" });
  } catch (e) {
    await llama.dispose().catch(() => undefined);
    throw failed(e);
  }
  let context: LlamaContext;
  try {
    const needed = promptCount + generateCount + CONTEXT_SLACK;
    if (needed > model.trainContextSize) {
      throw new TaskError(
        "BAD_REQUEST",
        `The model's context holds ${model.trainContextSize} tokens: ${promptCount} prompt + ${generateCount} ` +
          "generated tokens do not fit.",
      );
    }
    context = await model.createContext({ contextSize: needed, threads, batchSize: Math.min(promptCount, 512) });
  } catch (e) {
    await model.dispose().catch(() => undefined);
    await llama.dispose().catch(() => undefined);
    if (e instanceof TaskError) throw e;
    throw failed(e);
  }
  const sequence = context.getSequence();
  const prompt = buildPrompt(model, promptCount);
  const generations: Generation[] = [];

  return {
    async runOnce() {
      await sequence.clearHistory();
      const t0 = performance.now();
      let first = 0;
      const out: Token[] = [];
      // evaluate() yields token after token and never stops by itself (not even at end-of-sequence): the run
      // stops at exactly the count it asked for, so every device generates the same amount.
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        if (out.length === 0) first = performance.now();
        out.push(token);
        if (out.length >= generateCount) break;
      }
      const end = performance.now();
      const ttft = first - t0;
      generations.push({
        timeToFirstTokenMs: ttft,
        promptTokensPerS: ttft > 0 ? (prompt.length / ttft) * 1000 : 0,
        // The first token belongs to the prompt's evaluation; the rate is over the tokens after it.
        generationTokensPerS: out.length > 1 && end > first ? ((out.length - 1) / (end - first)) * 1000 : 0,
        text: model.detokenize(out),
      });
    },
    llmStats(): RunResult["llm"] {
      // Warm-up generations are not measured: the child reads the stats once, after the measured ones, and the
      // warm-up count is known.
      const measured = generations.slice(job.spec.warmup);
      if (measured.length === 0) return null;
      return {
        timeToFirstTokenMs: median(measured.map((g) => g.timeToFirstTokenMs)),
        promptTokensPerS: median(measured.map((g) => g.promptTokensPerS)),
        generationTokensPerS: median(measured.map((g) => g.generationTokensPerS)),
        generatedText: (measured.at(-1)?.text ?? "").slice(0, MAX_TEXT),
      };
    },
    async dispose() {
      await context.dispose().catch(() => undefined);
      await model.dispose().catch(() => undefined);
      await llama.dispose().catch(() => undefined);
    },
  };
}

/**
 * Exactly `count` tokens of the model's own vocabulary: BOS when the model has one, then a text tokenized by the
 * model, repeated until the count is reached (tokenizing a long text and cutting it could merge across the cut).
 */
function buildPrompt(model: LlamaModel, count: number): Token[] {
  const pieces = model.tokenize(PROMPT_SEED_TEXT);
  if (pieces.length === 0) throw new TaskError("MODEL_INVALID", "The model's tokenizer gives no tokens for text.");
  const out: Token[] = model.tokens.bos !== null ? [model.tokens.bos] : [];
  for (let i = 0; out.length < count; i++) out.push(pieces[i % pieces.length] as Token);
  return out.slice(0, count);
}
