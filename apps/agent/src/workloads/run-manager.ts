import {
  type Ack,
  type CodedError,
  type ModelRuntime,
  type RunResult,
  type RunStart,
  type RunStatus,
  runResultSchema,
  runStartSchema,
  type TelemetrySample,
  type WireError,
} from "@labfleet/protocol";
import { effectiveThreads, environmentCard } from "./environment.ts";
import type { RunPhase } from "./ipc.ts";
import { ProgressRelay } from "./progress-relay.ts";
import { findRuntimePackage, RUNTIME_PACKAGE, runtimeSearchDirs } from "./runtimes/packages.ts";
import { signRunResult } from "./signing.ts";
import { systemStats } from "./stats.ts";
import type { CachedFile, RunManagerDeps, WorkloadHost } from "./types.ts";
import { type ChildOutcome, crashMessage, WorkloadProcess } from "./workload-process.ts";

/** What to tell an instructor whose device lacks a runtime. */
const RUNTIME_MISSING: Record<ModelRuntime, string> = {
  "onnxruntime-node":
    "onnxruntime-node is not installed next to the agent. Install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node.",
  "node-llama-cpp":
    "node-llama-cpp is not installed on this device: language models need it (re-run the agent installer with --with-llama).",
  "tfjs-wasm":
    "TensorFlow.js (wasm backend) is not installed next to the agent: re-run the agent installer with --with-tfjs.",
};

/** Why a start was refused, as a wire code. An agent that is shutting down is as busy as one that is running. */
const REFUSAL: Record<"BUSY" | "RUNTIME_UNAVAILABLE" | "BAD_REQUEST" | "STOPPING", WireError["code"]> = {
  BUSY: "BUSY",
  RUNTIME_UNAVAILABLE: "RUNTIME_UNAVAILABLE",
  BAD_REQUEST: "BAD_REQUEST",
  STOPPING: "BUSY",
};

type StopReason = "cancelled" | "timed_out";

interface ActiveRun {
  run: RunStart;
  startedAt: number;
  abort: AbortController;
  proc: WorkloadProcess | null;
  stopReason: StopReason | null;
  progress: ProgressRelay;
  done: Promise<void>;
}

interface Outcome {
  status: Exclude<RunStatus, "queued" | "running">;
  error: CodedError | null;
  child: ChildOutcome | null;
  samples: TelemetrySample[];
}

function refuse(reason: keyof typeof REFUSAL, message: string): Ack<{ accepted: true }> {
  return { ok: false, error: { code: REFUSAL[reason], message: message.slice(0, 500) } };
}

function codedFrom(e: unknown, fallback: string): CodedError {
  if (
    typeof e === "object" &&
    e !== null &&
    "code" in e &&
    typeof e.code === "string" &&
    /^[A-Z][A-Z0-9_]*$/.test(e.code)
  ) {
    const message = "message" in e && typeof e.message === "string" ? e.message : String(e);
    return { code: e.code.slice(0, 64), message: message.slice(0, 2_000) };
  }
  return { code: fallback, message: (e instanceof Error ? e.message : String(e)).slice(0, 2_000) };
}

/** The promise, or a rejection as soon as the signal aborts: a cancel must not wait for a slow download to notice. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Runs one model workload at a time on this device, each in its own child process (`labfleet-agent workload`),
 * so that the runtime, its native threads and its memory live and die with the run, never with the agent.
 */
export class RunManager implements WorkloadHost {
  private current: ActiveRun | null = null;
  private stopping = false;

  constructor(private readonly deps: RunManagerDeps) {}

  /** The run in progress, if any (for status displays and tests). */
  get activeRunId(): string | null {
    return this.current?.run.runId ?? null;
  }

  /** The pid of the running workload child, if one is running now. */
  get activePid(): number | null {
    return this.current?.proc?.child.pid ?? null;
  }

  start(input: RunStart): Ack<{ accepted: true }> {
    const parsed = runStartSchema.safeParse(input);
    if (!parsed.success) return refuse("BAD_REQUEST", parsed.error.issues[0]?.message ?? "invalid run");
    const run = parsed.data;
    if (this.stopping) return refuse("STOPPING", "the agent is shutting down.");
    if (this.current) return refuse("BUSY", `this device is already running ${this.current.run.runId}.`);
    if (!this.runtimeInstalled(run.runtime)) {
      return refuse("RUNTIME_UNAVAILABLE", RUNTIME_MISSING[run.runtime]);
    }
    const active: ActiveRun = {
      run,
      startedAt: Date.now(),
      abort: new AbortController(),
      proc: null,
      stopReason: null,
      progress: new ProgressRelay((p) => this.deps.link.reportRunProgress(p)),
      done: Promise.resolve(),
    };
    this.current = active;
    active.done = this.execute(active).catch((e: unknown) => {
      this.deps.log.error({ runId: run.runId, err: e instanceof Error ? e.message : String(e) }, "run manager failure");
    });
    this.deps.log.info(
      { runId: run.runId, versionId: run.versionId, task: run.task, kind: run.spec.kind },
      "run accepted",
    );
    return { ok: true, data: { accepted: true } };
  }

  cancel(runId: string): void {
    if (this.current?.run.runId === runId) this.stop(this.current, "cancelled");
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    const active = this.current;
    if (!active) return;
    this.stop(active, "cancelled");
    await active.done;
  }

  /** Found by its files, without loading: the agent itself never holds a runtime. */
  private runtimeInstalled(runtime: ModelRuntime): boolean {
    return findRuntimePackage(RUNTIME_PACKAGE[runtime], runtimeSearchDirs(this.deps.cliPath)) !== null;
  }

  private stop(active: ActiveRun, reason: StopReason): void {
    if (active.stopReason) return;
    active.stopReason = reason;
    active.abort.abort();
    active.proc?.kill();
  }

  private progress(active: ActiveRun, phase: RunPhase, done: number, total: number | null): void {
    active.progress.push({
      runId: active.run.runId,
      phase,
      done,
      total,
      elapsedMs: Date.now() - active.startedAt,
    });
  }

  private async execute(active: ActiveRun): Promise<void> {
    const { run } = active;
    const timer = setTimeout(() => this.stop(active, "timed_out"), run.spec.timeoutMs);
    let outcome: Outcome;
    let files: Map<string, CachedFile> | null = null;
    try {
      this.progress(active, "downloading", 0, 100);
      files = await untilAborted(
        this.deps.store.ensure(run, {
          signal: active.abort.signal,
          onProgress: (pct) => this.progress(active, "downloading", Math.round(pct), 100),
        }),
        active.abort.signal,
      );
      outcome = active.stopReason ? this.stopped(active, null, []) : await this.runChild(active, files);
    } catch (e) {
      outcome = active.stopReason
        ? this.stopped(active, null, [])
        : { status: "failed", error: codedFrom(e, "DOWNLOAD_FAILED"), child: null, samples: [] };
    } finally {
      clearTimeout(timer);
      active.progress.close();
    }
    const result = await this.buildResult(active, outcome, files);
    this.current = null;
    this.deps.log.info({ runId: run.runId, status: result.status, error: result.error?.code }, "run finished");
    try {
      this.deps.reportResult(signRunResult(result, this.deps.deviceSecret));
    } catch (e) {
      this.deps.log.error(
        { runId: run.runId, err: e instanceof Error ? e.message : String(e) },
        "cannot report run result",
      );
    }
  }

  private stopped(active: ActiveRun, child: ChildOutcome | null, samples: TelemetrySample[]): Outcome {
    const timedOut = active.stopReason === "timed_out";
    return {
      status: timedOut ? "timed_out" : "cancelled",
      error: timedOut
        ? {
            code: "TIMED_OUT",
            message: `The run did not finish within ${active.run.spec.timeoutMs} ms and was stopped.`,
          }
        : null,
      child,
      samples,
    };
  }

  private async runChild(active: ActiveRun, files: Map<string, CachedFile>): Promise<Outcome> {
    const { run } = active;
    const samples: TelemetrySample[] = [];
    let unsubscribe: (() => void) | null = null;
    const proc = new WorkloadProcess(
      this.deps.cliPath,
      {
        type: "job",
        runId: run.runId,
        runtime: run.runtime,
        task: run.task,
        files: [...files.values()].map((f) => ({ name: f.name, role: f.role, sha256: f.sha256, path: f.path })),
        spec: run.spec,
        threads: effectiveThreads(run.spec.threads),
      },
      (msg) => {
        if (msg.type !== "progress") return;
        // The hardware is watched over the phase that is measured, not over loading or warm-up.
        if ((msg.phase === "measuring" || msg.phase === "evaluating") && !unsubscribe) {
          unsubscribe = this.deps.subscribeSamples((s) => samples.push(s));
        }
        this.progress(active, msg.phase, msg.done, msg.total);
      },
      (issue) => this.deps.log.warn({ runId: run.runId, issue }, "the workload sent an invalid message"),
    );
    active.proc = proc;
    // A cancel that came while the child was starting applies now.
    if (active.stopReason) proc.kill();
    const child = await proc.done;
    (unsubscribe as (() => void) | null)?.();
    active.proc = null;
    if (child.result) return { status: "succeeded", error: null, child, samples };
    if (active.stopReason) return this.stopped(active, child, samples);
    return {
      status: "failed",
      error: child.error ?? { code: "WORKLOAD_CRASHED", message: crashMessage(child) },
      child,
      samples,
    };
  }

  private async buildResult(active: ActiveRun, o: Outcome, files: Map<string, CachedFile> | null): Promise<RunResult> {
    const { run } = active;
    const r = o.status === "succeeded" ? o.child?.result : null;
    const env = await environmentCard({
      deviceId: this.deps.deviceId,
      runtime: run.runtime,
      runtimeVersion: o.child?.runtimeVersion ?? "unknown",
      executionProvider: run.spec.executionProvider,
      // TensorFlow.js's wasm backend in Node has no worker threads: it always runs on one core, whatever was asked.
      threads: run.runtime === "tfjs-wasm" ? 1 : effectiveThreads(run.spec.threads),
      batchSize: run.spec.batchSize,
      // The card names what was measured: the verified files when there are some, else what was asked for.
      files: files ? [...files.values()] : run.files,
    });
    const result: RunResult = {
      runId: run.runId,
      status: o.status,
      startedAt: active.startedAt,
      finishedAt: Math.max(Date.now(), active.startedAt),
      latencyMs: r?.latencyMs ?? null,
      throughputPerS: r && r.measuredMs > 0 ? r.items / (r.measuredMs / 1000) : null,
      accuracy: r?.accuracy ?? null,
      evaluation: r?.evaluation ?? null,
      llm: r?.llm ?? null,
      system: systemStats(o.samples, r?.measuredMs ?? 0, r?.items ?? 0),
      error: o.error,
      env,
    };
    const checked = runResultSchema.safeParse(result);
    if (checked.success) return checked.data;
    // A result the server would refuse is worth less than a failure that says why.
    const issue = checked.error.issues[0];
    this.deps.log.error({ runId: run.runId, issue }, "the run's result does not fit the protocol");
    return {
      ...result,
      status: "failed",
      latencyMs: null,
      throughputPerS: null,
      accuracy: null,
      evaluation: null,
      system: systemStats([], 0, 0),
      error: {
        code: "RESULT_INVALID",
        message: `The result did not fit the protocol at ${issue?.path.join(".")}: ${issue?.message}`,
      },
    };
  }
}
