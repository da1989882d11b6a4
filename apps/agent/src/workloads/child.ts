// The workload child process (`labfleet-agent workload`, started by the run manager with an IPC channel).
// It is the only process that loads an inference runtime: a crash, an out-of-memory kill or a runaway
// native thread ends this process and the run, never the agent. It gets one job, runs it, posts one result
// (or one error) and exits.
import type { CodedError, EvaluationItem } from "@labfleet/protocol";
import { isAgentError } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { type ChildMessage, type RunPhase, type WorkloadJob, workloadJobSchema } from "./ipc.ts";
import { loadRuntime } from "./runtimes/index.ts";
import { latencyStats } from "./stats.ts";
import { isTaskError } from "./tasks/task-error.ts";
import type { CachedFile, PreparedTask } from "./types.ts";

/** How often the child reports progress: the measured loop checks a clock, never sends per iteration. */
const PROGRESS_EVERY_MS = 250;
/** The evaluation items kept in the result (the wire allows 100); accuracy is over all of them. */
const MAX_EVAL_ITEMS = 100;

class CodedFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2_000) || "unknown error";
}

function waitForJob(): Promise<WorkloadJob> {
  return new Promise((resolve, reject) => {
    process.once("message", (raw: unknown) => {
      const parsed = workloadJobSchema.safeParse(raw);
      if (parsed.success) resolve(parsed.data);
      else reject(new CodedFailure("BAD_JOB", `The workload got an invalid job: ${parsed.error.issues[0]?.message}`));
    });
  });
}

/** Reports `done` of `total` at most every PROGRESS_EVERY_MS, plus always the first call. */
function progressReporter(phase: RunPhase, total: number | null) {
  let next = 0;
  return (done: number, now = performance.now()) => {
    if (now < next) return;
    next = now + PROGRESS_EVERY_MS;
    void send({ type: "progress", phase, done, total });
  };
}

async function warmup(task: PreparedTask, count: number): Promise<void> {
  const report = progressReporter("warmup", count);
  report(0);
  for (let i = 0; i < count; i++) {
    await task.runOnce();
    report(i + 1);
  }
}

async function measure(task: PreparedTask, job: WorkloadJob): Promise<ChildMessage> {
  const maxIterations = job.spec.iterations ?? Number.POSITIVE_INFINITY;
  const report = progressReporter("measuring", job.spec.iterations ?? null);
  const latencies: number[] = [];
  report(0);
  const t0 = performance.now();
  const deadline = job.spec.durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + job.spec.durationMs;
  // Kept tight: two clock reads and a push per iteration; progress only when the clock says so.
  let end = t0;
  while (latencies.length < maxIterations && end < deadline) {
    const start = performance.now();
    await task.runOnce();
    end = performance.now();
    latencies.push(end - start);
    report(latencies.length, end);
  }
  const measuredMs = end - t0;
  return {
    type: "result",
    latencyMs: latencyStats(latencies),
    items: latencies.length * job.spec.batchSize,
    measuredMs,
    accuracy: null,
    evaluation: null,
    llm: task.llmStats?.() ?? null,
  };
}

async function evaluate(task: PreparedTask, job: WorkloadJob): Promise<ChildMessage> {
  if (!task.evaluate) {
    throw new CodedFailure("NO_EVALUATION_SET", `Task "${job.task}" has no evaluation set: run a benchmark instead.`);
  }
  const latencies: number[] = [];
  let report = progressReporter("evaluating", null);
  const t0 = performance.now();
  let last = t0;
  const items: EvaluationItem[] = await task.evaluate((done, total) => {
    // The time between two scored items is that item's latency (inference plus its scoring).
    const now = performance.now();
    latencies.push(now - last);
    last = now;
    if (done === 1) report = progressReporter("evaluating", total);
    report(done, now);
  });
  const accuracy = items.length === 0 ? null : items.reduce((a, i) => a + i.score, 0) / items.length;
  return {
    type: "result",
    latencyMs: latencyStats(latencies),
    items: items.length,
    measuredMs: last - t0,
    accuracy,
    // Cut to what the wire carries, so that one long transcript cannot void the whole result.
    evaluation: items.slice(0, MAX_EVAL_ITEMS).map((i) => ({
      input: i.input.slice(0, 200),
      expected: i.expected.slice(0, 500),
      got: i.got.slice(0, 500),
      score: Math.min(1, Math.max(0, i.score)),
    })),
    llm: null,
  };
}

async function runJob(job: WorkloadJob): Promise<void> {
  const runtime = await loadRuntime(job.runtime);
  await send({ type: "runtime", runtimeVersion: runtime.version.slice(0, 64) });
  await send({ type: "progress", phase: "loading", done: 0, total: null });
  const files = new Map<string, CachedFile>(job.files.map((f) => [f.name, f]));
  let task: PreparedTask;
  try {
    task = await runtime.prepare(job, files);
  } catch (e) {
    if (isTaskError(e) || isAgentError(e)) throw new CodedFailure(e.code, messageOf(e));
    // Whatever else goes wrong while preparing comes from the runtime loading the model: pass its words on.
    throw new CodedFailure("MODEL_LOAD_FAILED", messageOf(e));
  }
  let result: ChildMessage;
  try {
    await warmup(task, job.spec.warmup);
    result = job.spec.kind === "evaluation" ? await evaluate(task, job) : await measure(task, job);
  } catch (e) {
    await task.dispose().catch(() => undefined);
    throw e;
  }
  // The result goes out before the session is released: the run is over, and releasing can take a while.
  await send(result);
  await task.dispose().catch(() => undefined);
}

function toCodedError(e: unknown): CodedError {
  if (e instanceof CodedFailure || isTaskError(e) || isAgentError(e)) {
    return { code: e.code, message: messageOf(e) };
  }
  return { code: "WORKLOAD_FAILED", message: messageOf(e) };
}

/** The child's main: returns its exit code once the result is posted. */
export async function runWorkloadChild(): Promise<ExitCode> {
  if (!process.send) {
    process.stderr.write("labfleet-agent workload is started by the agent itself, with an IPC channel.\n");
    return EXIT.USAGE;
  }
  // An orphan must not keep burning the CPU: when the agent goes, so does its workload.
  process.once("disconnect", () => process.exit(EXIT.UNEXPECTED));
  try {
    await runJob(await waitForJob());
    return EXIT.OK;
  } catch (e) {
    await send({ type: "error", error: toCodedError(e) });
    return EXIT.UNEXPECTED;
  }
}
