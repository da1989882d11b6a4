// The contracts between the agent's parts that deal with models: the connection, the model cache and the
// run manager (long-lived agent process), and the task adapters (workload child process only).
import type { Ack, EvaluationItem, ModelStatus, ModelTask, ModelVersionRef, RunStart } from "@labfleet/protocol";

/** A file of a version, verified and in the cache. */
export interface CachedFile {
  name: string;
  role: string;
  sha256: string;
  path: string;
}

/** The agent's model cache (apps/agent/src/models): downloads, verifies and holds model files. */
export interface ModelStore {
  /**
   * Makes every file of the version present and verified in the cache (downloading what is missing, resuming a
   * cut download), then returns them by name. `onProgress` gets 0–100 over the whole version. Rejects with an
   * AgentError-like `{ code, message }` (e.g. HASH_MISMATCH, DOWNLOAD_FAILED, DISK_FULL, CANCELLED).
   */
  ensure(
    ref: ModelVersionRef,
    opts: { onProgress?: (percent: number) => void; signal?: AbortSignal },
  ): Promise<Map<string, CachedFile>>;
}

/** Runs workloads for the connection (apps/agent/src/workloads/run-manager.ts). */
export interface WorkloadHost {
  /** Answer to `run:start`: accepted at once, or refused with a coded reason (busy, unknown runtime, ...). */
  start(run: RunStart): Ack<{ accepted: true }>;
  cancel(runId: string): void;
  /** Cancels every run and waits for their processes to be gone (agent shutdown). */
  stopAll(): Promise<void>;
}

/** What the connection offers the model sync and the run manager. */
export interface AgentLink {
  /** Sends `models:status` now when online; the latest state is sent again on every (re)connect. */
  reportModelStatus(statuses: ModelStatus[]): void;
  /** Sends `run:progress` when online; dropped when offline (progress is live only). */
  reportRunProgress(p: import("@labfleet/protocol").RunProgress): void;
}

// ---------- Inside the workload child process ----------

/** What a task adapter gets: the runtime module, the version's files and the session options for this run. */
export interface TaskContext {
  ort: typeof import("onnxruntime-node");
  files: ReadonlyMap<string, CachedFile>;
  /** Threads and execution provider already applied; pass to every InferenceSession.create. */
  sessionOptions: import("onnxruntime-node").InferenceSession.SessionOptions;
  batchSize: number;
}

export interface PreparedTask {
  /** One inference of `batchSize` items (the runner times it). */
  runOnce(): Promise<void>;
  /** Scores every item of the version's evaluation set; absent when the task has none. */
  evaluate?(onItem: (done: number, total: number) => void): Promise<EvaluationItem[]>;
  /** Language models: what the measured runs showed about tokens (read once, after measuring). */
  llmStats?(): import("@labfleet/protocol").RunResult["llm"];
  dispose(): Promise<void>;
}

/**
 * One inference runtime inside the workload child (./runtimes): loaded once per run, it reports its version
 * and prepares the job's task on the version's files.
 */
export interface RuntimeBinding {
  version: string;
  prepare(job: import("./ipc.ts").WorkloadJob, files: ReadonlyMap<string, CachedFile>): Promise<PreparedTask>;
}

export interface TaskAdapter {
  task: ModelTask;
  prepare(ctx: TaskContext): Promise<PreparedTask>;
}

/** What the run manager needs from the rest of the agent (wired in commands/run.ts). */
export interface RunManagerDeps {
  store: ModelStore;
  link: AgentLink;
  /** Puts a finished run's signed result into the offline buffer: event run.finished, key `run:<runId>`. */
  reportResult(result: import("@labfleet/protocol").SignedRunResult): void;
  deviceId: string;
  deviceSecret: string;
  /** Every telemetry sample the agent takes from now on, until the returned function is called. */
  subscribeSamples(fn: (sample: import("@labfleet/protocol").TelemetrySample) => void): () => void;
  log: import("../logger.ts").Logger;
  /** The agent's own entry script; the workload child runs `<node> <cliPath> workload` (without the agent's Node flags). */
  cliPath: string;
}
