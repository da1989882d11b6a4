import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type AckServer, startAckServer } from "./ack-server.ts";
import { readCpuTicks, readRssBytes } from "./process-stats.ts";

const AGENT_DIR = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(AGENT_DIR, "dist/cli.js");

/**
 * "Inference runtimes are loaded only in the workload process, never in the idle agent": the bundled agent
 * runs next to an installed onnxruntime-node whose entry point leaves a mark when loaded. The agent must
 * report the runtime in its inventory (found by its files) and the mark must never appear.
 */
describe("the bundled idle agent", { skip: process.platform !== "linux" }, () => {
  let dir = "";
  let server: AckServer;

  before(async () => {
    // `npm test` builds first; a standalone run builds here.
    if (!existsSync(CLI)) assert.equal(spawnSync(process.execPath, ["build.mjs"], { cwd: AGENT_DIR }).status, 0);
    dir = await mkdtemp(join(tmpdir(), "labfleet-idle-agent-"));
    server = await startAckServer(1_000);
  });
  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("reports onnxruntime-node without loading it, and stays a small process", async () => {
    const app = join(dir, "app");
    const ort = join(app, "node_modules/onnxruntime-node");
    await mkdir(join(ort, "bin/napi-v3/linux/x64"), { recursive: true });
    await copyFile(CLI, join(app, "cli.js"));
    // The hardware probes ship beside the bundle (dist/vendor), as in the npm package.
    await cp(join(AGENT_DIR, "dist/vendor"), join(app, "vendor"), { recursive: true });
    await writeFile(join(app, "package.json"), '{"type":"module"}\n');
    await writeFile(join(ort, "package.json"), '{"name":"onnxruntime-node","version":"9.9.9","main":"index.js"}\n');
    await writeFile(
      join(ort, "index.js"),
      `require("node:fs").writeFileSync(${JSON.stringify(join(dir, "LOADED"))}, "");\n`,
    );
    await writeFile(join(ort, "bin/napi-v3/linux/x64/libonnxruntime_providers_cuda.so"), "");
    const config = join(dir, "agent.json");
    await writeFile(
      config,
      JSON.stringify({ serverUrl: server.url, deviceId: "idle-1", deviceSecret: "idle-secret", name: "idle" }),
      { mode: 0o600 },
    );
    const agent = spawn(process.execPath, [join(app, "cli.js"), "run", "--config", config], {
      cwd: dir,
      env: { ...process.env, LABFLEET_LOG_LEVEL: "error", LABFLEET_AGENT_STATE_DIR: dir },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    agent.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await server.waitForTelemetry(3, 30_000);
      for (let i = 0; i < 100 && server.inventories.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      const inv = server.inventories[0];
      assert.ok(inv, `no inventory arrived; agent stderr: ${stderr}`);
      assert.deepEqual(inv.runtimes, [
        { name: "onnxruntime-node", version: "9.9.9", executionProviders: ["cpu", "cuda"] },
      ]);
      assert.equal(existsSync(join(dir, "LOADED")), false, "the idle agent loaded onnxruntime-node");
      // The process really is the agent we measured: it has used CPU and holds memory.
      assert.ok(((await readCpuTicks(agent.pid as number)) ?? 0) > 0);
      assert.ok(((await readRssBytes(agent.pid as number)) ?? 0) > 0);
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) => (agent.exitCode !== null ? r(null) : agent.once("exit", r)));
    }
  });

  test("the bundle has no static or dynamic import of a runtime", async () => {
    const code = await readFile(CLI, "utf8");
    for (const runtime of [
      "onnxruntime-node",
      "node-llama-cpp",
      "@tensorflow/tfjs",
      "@tensorflow/tfjs-backend-wasm",
      "@vladmandic/face-api",
    ]) {
      assert.doesNotMatch(code, new RegExp(`(require|import)\\s*\\(\\s*["'\`]${runtime}["'\`]`));
      assert.doesNotMatch(code, new RegExp(`from\\s*["'\`]${runtime}["'\`]`));
    }
  });
});
