import type { RunKind, RunSpecInput } from "@labfleet/protocol";

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
  };
}

function whole(raw: string, min: number, max: number): number | null | "bad" {
  const t = raw.trim();
  if (t === "") return null;
  if (!/^\d+$/.test(t)) return "bad";
  const n = Number(t);
  return n < min || n > max ? "bad" : n;
}

/** Checks the draft as the server will (runSpecSchema) and builds the spec, or says what is wrong. */
export function parseSpec(d: SpecDraft): { spec: RunSpecInput | null; error: string | null } {
  const warmup = whole(d.warmup, 0, 1_000);
  if (warmup === "bad") return { spec: null, error: "Warm-up is a whole number from 0 to 1000." };
  const iterations = whole(d.iterations, 1, 1_000_000);
  if (iterations === "bad") return { spec: null, error: "Iterations is a whole number from 1 to 1000000." };
  const durationS = whole(d.durationS, 1, 3_600);
  if (durationS === "bad") return { spec: null, error: "Duration is a whole number of seconds from 1 to 3600." };
  const batch = whole(d.batchSize, 1, 256);
  if (batch === "bad") return { spec: null, error: "Batch size is a whole number from 1 to 256." };
  const threads = whole(d.threads, 1, 1_024);
  if (threads === "bad")
    return { spec: null, error: "Threads is a whole number from 1 to 1024, or empty for the default." };
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
  if (timeoutS !== null) spec.timeoutMs = Math.max(1_000, timeoutS * 1_000);
  return { spec, error: null };
}
