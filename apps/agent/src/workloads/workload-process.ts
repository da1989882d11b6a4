import { type ChildProcess, spawn } from "node:child_process";
import type { CodedError } from "@labfleet/protocol";
import { AGENT_NODE_FLAGS } from "../node-flags.ts";
import { type ChildMessage, childMessageSchema, type WorkloadJob } from "./ipc.ts";

/** How long a child gets to go after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2_000;
const STDERR_TAIL_BYTES = 4_096;

export type ResultMessage = Extract<ChildMessage, { type: "result" }>;

/** How the child ended, and what it said before it did. */
export interface ChildOutcome {
  result: ResultMessage | null;
  error: CodedError | null;
  runtimeVersion: string | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

/**
 * The Node flags of the workload child: this process's own, without the agent's interpreter-only flags
 * (inference code must run at full speed) and without an inspector port that the two would fight over.
 */
export function workloadNodeArgs(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((a) => !AGENT_NODE_FLAGS.includes(a) && !a.startsWith("--inspect"));
}

/** One workload child: started with an IPC channel, sent its job, watched until it has exited. */
export class WorkloadProcess {
  readonly child: ChildProcess;
  readonly done: Promise<ChildOutcome>;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(
    cliPath: string,
    job: WorkloadJob,
    onMessage: (msg: Exclude<ChildMessage, { type: "result" | "error" }>) => void,
    onBadMessage: (issue: string) => void,
  ) {
    const outcome: ChildOutcome = {
      result: null,
      error: null,
      runtimeVersion: null,
      exitCode: null,
      signal: null,
      stderrTail: "",
    };
    this.child = spawn(process.execPath, [...workloadNodeArgs(), cliPath, "workload"], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: process.env,
    });
    this.done = new Promise((resolve) => {
      this.child.on("message", (raw: unknown) => {
        const parsed = childMessageSchema.safeParse(raw);
        if (!parsed.success) return onBadMessage(parsed.error.issues[0]?.message ?? "invalid message");
        const msg = parsed.data;
        if (msg.type === "result") outcome.result = msg;
        else if (msg.type === "error") outcome.error = msg.error;
        else {
          if (msg.type === "runtime") outcome.runtimeVersion = msg.runtimeVersion;
          onMessage(msg);
        }
      });
      this.child.stderr?.on("data", (d: Buffer) => {
        outcome.stderrTail = (outcome.stderrTail + d.toString()).slice(-STDERR_TAIL_BYTES);
      });
      this.child.once("error", (e) => {
        // A child that could not even start gets no "close": finish here.
        if (this.child.pid === undefined) {
          outcome.error = { code: "WORKLOAD_SPAWN_FAILED", message: `Cannot start the workload process: ${e.message}` };
          resolve(outcome);
        }
      });
      // "close" rather than "exit": it comes after the IPC channel and stderr are drained, so the result is in.
      this.child.once("close", (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        outcome.exitCode = code;
        outcome.signal = signal;
        resolve(outcome);
      });
    });
    if (this.child.pid !== undefined) this.child.send(job);
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL when the child is still there after the grace period. */
  kill(): void {
    if (!this.running || this.killTimer) return;
    this.child.kill("SIGTERM");
    this.killTimer = setTimeout(() => {
      if (this.running) this.child.kill("SIGKILL");
    }, KILL_GRACE_MS);
  }
}

/** The message of a child that ended without saying why: its exit, and the last thing it wrote to stderr. */
export function crashMessage(o: ChildOutcome): string {
  const how = o.signal ? `signal ${o.signal}` : `exit code ${o.exitCode}`;
  const hint = o.signal === "SIGKILL" ? " (killed from outside, or by the kernel when memory ran out)" : "";
  const lastLine = o.stderrTail.trim().split("\n").filter(Boolean).at(-1)?.trim();
  return `The workload process ended with ${how}${hint}${lastLine ? `: ${lastLine}` : "."}`.slice(0, 2_000);
}
