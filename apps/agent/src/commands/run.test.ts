import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AGENT_NAMESPACE, type ModelStatus } from "@labfleet/protocol";
import { createFileHandler, testBytes } from "../models/test-file-server.ts";
import { HANDSHAKE, onCleanup, SECRET, startServer, stopAfterEach, waitFor } from "../testing/agent-server.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const AGENT_DIR = fileURLToPath(new URL("../..", import.meta.url));

stopAfterEach();

describe("labfleet-agent run (spawned): models and runs are wired to the connection", () => {
  test("a desired model reaches ready in <state>/models, a bad run:start is refused, SIGTERM exits 0", async () => {
    const server = await startServer();
    // Files are served by the same server the agent connects to, as the real one does, with the same credentials.
    const files = createFileHandler({ device: { deviceId: HANDSHAKE.deviceId, secret: SECRET } });
    server.io.httpServer.on("request", (req, res) => files.handle(req, res));
    const model = files.add("model.onnx", testBytes(50_000, 1));
    const statuses: ModelStatus[] = [];
    server.io.of(AGENT_NAMESPACE).on("connection", (socket) => {
      socket.on("models:status", (p, ack) => {
        statuses.push(...p.models);
        ack({ ok: true, data: { stored: p.models.length } });
      });
      socket.emit("models:desired", {
        models: [
          {
            deploymentId: "dep_1",
            versionId: "ver_1",
            task: "onnx-generic",
            runtime: "onnxruntime-node",
            files: [model],
          },
        ],
      });
    });

    const dir = mkdtempSync(join(tmpdir(), "labfleet-run-"));
    onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, "agent.json");
    await writeFile(
      config,
      JSON.stringify({
        serverUrl: server.url,
        deviceId: HANDSHAKE.deviceId,
        deviceSecret: SECRET,
        name: "t",
        modelCacheMaxBytes: 128 * 1024 ** 2,
      }),
      { mode: 0o600 },
    );
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", "--config", config, "--state-dir", dir], {
      cwd: AGENT_DIR,
      env: { PATH: process.env.PATH ?? "", HOME: dir, LABFLEET_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    onCleanup(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    await waitFor("ready", () => statuses.some((s) => s.state === "ready"), 20_000).catch(() =>
      assert.fail(`the model never became ready; agent output:\n${out}`),
    );
    assert.ok((await readdir(join(dir, "models"))).includes(model.sha256));
    assert.equal(files.requests.length, 1);

    const socket = server.sockets.find((s) => s.connected);
    assert.ok(socket);
    const ack = await socket.timeout(5_000).emitWithAck("run:start", { runId: "r" } as never);
    assert.equal((ack as { ok: boolean }).ok, false);
    assert.equal((ack as { error: { code: string } }).error.code, "BAD_REQUEST");

    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
  });
});
