import type { ModelRuntime, RunKind, RunSpecInput } from "@labfleet/protocol";

/** The run form as typed: strings, so that a half-typed number is not lost; parseSpec turns it into a spec. */
export interface SpecDraft {
  kind: RunKind;
  warmup: string;
  iterations: string;
  durationS: string;
  batchSize: string;
  threads: string;
  executionProvider: string;
  timeoutS: string;
  /** Language models (node-llama-cpp): prompt length and tokens to generate, in place of the batch size. */
  promptTokens?: string;
  generateTokens?: string;
}

/** The defaults the agent uses when a language-model run leaves the token counts out. */
export const DEFAULT_PROMPT_TOKENS = 32;
export const DEFAULT_GENERATE_TOKENS = 32;

/** Whether a version of this runtime is a language model, whose runs count tokens rather than batches. */
export function isLanguageModel(runtime: ModelRuntime | null | undefined): boolean {
  return runtime === "node-llama-cpp";
}

export function defaultSpec(kind: RunKind): SpecDraft {
  return {
    kind,
    warmup: kind === "benchmark" ? "3" : "1",
    iterations: kind === "benchmark" ? "20" : "",
    durationS: "",
    batchSize: "1",
    threads: "",
    executionProvider: "cpu",
    timeoutS: "600",
    promptTokens: String(DEFAULT_PROMPT_TOKENS),
    generateTokens: String(DEFAULT_GENERATE_TOKENS),
  };
}

function whole(raw: string, min: number, max: number): number | null | "bad" {
  const t = raw.trim();
  if (t === "") return null;
  if (!/^\d+$/.test(t)) return "bad";
  const n = Number(t);
  return n < min || n > max ? "bad" : n;
}

/**
 * Checks the draft as the server will (runSpecSchema) and builds the spec, or says what is wrong. For a language
 * model (`runtime` node-llama-cpp) the token counts replace the batch size; other runtimes never send them.
 */
export function parseSpec(
  d: SpecDraft,
  runtime?: ModelRuntime | null,
): { spec: RunSpecInput | null; error: string | null } {
  const llm = isLanguageModel(runtime);
  const warmup = whole(d.warmup, 0, 1_000);
  if (warmup === "bad") return { spec: null, error: "Warm-up is a whole number from 0 to 1000." };
  const iterations = whole(d.iterations, 1, 1_000_000);
  if (iterations === "bad") return { spec: null, error: "Iterations is a whole number from 1 to 1000000." };
  const durationS = whole(d.durationS, 1, 3_600);
  if (durationS === "bad") return { spec: null, error: "Duration is a whole number of seconds from 1 to 3600." };
  const batch = llm ? null : whole(d.batchSize, 1, 256);
  if (batch === "bad") return { spec: null, error: "Batch size is a whole number from 1 to 256." };
  const threads = whole(d.threads, 1, 1_024);
  if (threads === "bad")
    return { spec: null, error: "Threads is a whole number from 1 to 1024, or empty for the default." };
  // Drafts saved before these fields existed have them undefined: the agent's defaults apply.
  const promptTokens = llm ? whole(d.promptTokens ?? "", 1, 32_768) : null;
  if (promptTokens === "bad") return { spec: null, error: "Prompt tokens is a whole number from 1 to 32768." };
  const generateTokens = llm ? whole(d.generateTokens ?? "", 1, 8_192) : null;
  if (generateTokens === "bad") return { spec: null, error: "Tokens to generate is a whole number from 1 to 8192." };
  const timeoutS = whole(d.timeoutS, 1, 6 * 3_600);
  if (timeoutS === "bad") return { spec: null, error: "The time limit is a whole number of seconds from 1 to 21600." };
  if (!/^[a-z0-9-]{1,40}$/.test(d.executionProvider)) {
    return { spec: null, error: "The execution provider is a short name such as cpu." };
  }
  if (d.kind === "benchmark" && iterations === null && durationS === null) {
    return { spec: null, error: "A benchmark needs a number of iterations, a duration, or both." };
  }
  const spec: RunSpecInput = { kind: d.kind, executionProvider: d.executionProvider };
  if (warmup !== null) spec.warmup = warmup;
  if (iterations !== null) spec.iterations = iterations;
  if (durationS !== null) spec.durationMs = durationS * 1_000;
  if (batch !== null) spec.batchSize = batch;
  if (threads !== null) spec.threads = threads;
  if (promptTokens !== null) spec.promptTokens = promptTokens;
  if (generateTokens !== null) spec.generateTokens = generateTokens;
  if (timeoutS !== null) spec.timeoutMs = Math.max(1_000, timeoutS * 1_000);
  return { spec, error: null };
}
