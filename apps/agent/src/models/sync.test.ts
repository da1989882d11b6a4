import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  AGENT_NAMESPACE,
  type DesiredModel,
  type ModelFileRef,
  type ModelStatus,
  modelsStatusReportSchema,
} from "@labfleet/protocol";
import {
  onCleanup,
  startAgent,
  startServer,
  stopAfterEach,
  type TestServer,
  waitFor,
} from "../testing/agent-server.ts";
import { ModelCache } from "./cache.ts";
import { ModelSync } from "./sync.ts";
import { DEVICE, type FileServerBehaviour, startFileServer, testBytes } from "./test-file-server.ts";

stopAfterEach();

interface Received {
  at: number;
  models: ModelStatus[];
}

/** A socket.io agent server that records every models:status, and an agent whose ModelSync fetches from `files`. */
async function setup(behaviour: FileServerBehaviour = {}, syncOpts: { hashMismatchAttempts?: number } = {}) {
  const server = await startServer();
  const statuses: Received[] = [];
  /** What the server pushes on every connect, as the real one does. */
  const onConnect: { models: DesiredModel[] | null } = { models: null };
  server.io.of(AGENT_NAMESPACE).on("connection", (socket) => {
    if (onConnect.models) socket.emit("models:desired", { models: onConnect.models });
    socket.on("models:status", (payload, ack) => {
      assert.ok(modelsStatusReportSchema.safeParse(payload).success, "every report is valid on the wire");
      statuses.push({ at: Date.now(), models: payload.models });
      ack({ ok: true, data: { stored: payload.models.length } });
    });
  });
  const files = await startFileServer(behaviour);
  onCleanup(() => files.close());
  const dir = mkdtempSync(join(tmpdir(), "labfleet-sync-"));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const agent = startAgent(server.url);
  const cache = new ModelCache({
    dir,
    maxBytes: 1024 ** 3,
    serverUrl: files.url,
    auth: DEVICE,
    log: agent.log,
    download: { attempts: 3, backoffMs: 20, idleTimeoutMs: 2_000 },
  });
  const sync = new ModelSync({
    store: cache,
    link: agent.agent,
    log: agent.log,
    retryDelayMs: 50,
    progressEveryMs: 100,
    ...syncOpts,
  });
  onCleanup(async () => sync.stop());
  agent.agent.serve({ models: sync });
  await waitFor("online", () => agent.agent.currentState === "online");
  return { server, statuses, files, dir, cache, sync, agent, onConnect };
}

function desired(deploymentId: string, versionId: string, files: ModelFileRef[]): DesiredModel {
  return { deploymentId, versionId, task: "onnx-generic", runtime: "onnxruntime-node", files };
}

const push = (server: TestServer, models: DesiredModel[]) => {
  for (const s of server.sockets) if (s.connected) s.emit("models:desired", { models });
};

/** Every state the server saw for one version, in order. */
const statesOf = (statuses: Received[], versionId: string) =>
  statuses.flatMap((r) => r.models.filter((m) => m.versionId === versionId));

describe("ModelSync through a real socket.io server", () => {
  test("models:desired → queued, downloading with percent, verifying, ready; dropped → no longer reported", async () => {
    const { server, statuses, files, dir } = await setup({ chunkBytes: 16 * 1024, chunkDelayMs: 5 });
    const model = files.add("model.onnx", testBytes(600_000, 1));
    push(server, [desired("dep_1", "ver_1", [model])]);
    await waitFor("ready", () => statesOf(statuses, "ver_1").some((s) => s.state === "ready"), 10_000);

    const seen = statesOf(statuses, "ver_1");
    const states = seen.map((s) => s.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    assert.deepEqual(states, ["queued", "downloading", "verifying", "ready"]);
    const percents = seen.filter((s) => s.state === "downloading").map((s) => s.percent ?? -1);
    assert.ok(
      percents.some((p) => p > 0 && p < 100),
      `intermediate percents reported (${percents.join(",")})`,
    );
    // Throttled to one report per 100 ms, not one per chunk (37 chunks of 16 KiB).
    const downloading = statuses.filter((r) =>
      r.models.some((m) => m.versionId === "ver_1" && m.state === "downloading"),
    );
    const spanMs = (downloading.at(-1)?.at ?? 0) - (downloading[0]?.at ?? 0);
    assert.ok(percents.length <= spanMs / 100 + 2, `${percents.length} progress reports in ${spanMs} ms`);
    assert.ok(percents.length < 37, "fewer reports than chunks");
    assert.deepEqual(seen.at(-1), {
      deploymentId: "dep_1",
      versionId: "ver_1",
      state: "ready",
      percent: 100,
      error: null,
    });
    assert.ok((await readdir(dir)).includes(model.sha256));

    // Dropping it: no new reports about it, even across a reconnect (the full list is sent again then).
    push(server, []);
    await new Promise((r) => setTimeout(r, 100));
    const before = statuses.length;
    for (const s of server.sockets) s.disconnect();
    await waitFor("a second connection", () => server.sockets.filter((s) => s.connected).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(statesOf(statuses.slice(before), "ver_1").length, 0);
  });

  test("on reconnect the full current status list is sent again", async () => {
    const { server, statuses, files } = await setup();
    const a = files.add("a.onnx", testBytes(10_000, 2));
    const b = files.add("b.onnx", testBytes(10_000, 3));
    push(server, [desired("dep_a", "ver_a", [a]), desired("dep_b", "ver_b", [b])]);
    await waitFor("both ready", () =>
      ["ver_a", "ver_b"].every((v) => statesOf(statuses, v).some((s) => s.state === "ready")),
    );
    const before = statuses.length;
    for (const s of server.sockets) s.disconnect();
    await waitFor("the list again after reconnecting", () =>
      statuses.slice(before).some((r) => r.models.length === 2 && r.models.every((m) => m.state === "ready")),
    );
  });

  test("a version dropped mid-download has its download aborted", async () => {
    const { server, statuses, files, dir, agent } = await setup({ chunkBytes: 4 * 1024, chunkDelayMs: 20 });
    const big = files.add("big.onnx", testBytes(2_000_000, 4));
    push(server, [desired("dep_1", "ver_big", [big])]);
    await waitFor("downloading", () =>
      statesOf(statuses, "ver_big").some((s) => s.state === "downloading" && (s.percent ?? 0) > 0),
    );
    push(server, []);
    await waitFor("the log line", () =>
      agent.lines.some((l) => l.msg === "a model version is no longer wanted; download stopped"),
    );
    const count = statesOf(statuses, "ver_big").length;
    await waitFor("the server to see the request closed", () => files.requests.every((r) => r.closedEarly));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(statesOf(statuses, "ver_big").length, count, "no more reports about a dropped version");
    assert.ok(!(await readdir(dir)).includes(big.sha256), "never completed");
    assert.ok(statesOf(statuses, "ver_big").every((s) => s.state !== "ready"));
  });

  test("a hash mismatch is reported failed with HASH_MISMATCH, retried a bounded number of times, never ready", async () => {
    const { server, statuses, files, dir } = await setup({ corrupt: true }, { hashMismatchAttempts: 2 });
    const model = files.add("model.onnx", testBytes(20_000, 5));
    push(server, [desired("dep_1", "ver_bad", [model])]);
    await waitFor("two failures", () => statesOf(statuses, "ver_bad").filter((s) => s.state === "failed").length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const seen = statesOf(statuses, "ver_bad");
    assert.equal(seen.filter((s) => s.state === "failed").length, 2, "retried once, then it stays failed");
    assert.equal(files.requests.length, 2);
    assert.ok(seen.every((s) => s.state !== "ready"));
    assert.equal(seen.at(-1)?.error?.code, "HASH_MISMATCH");
    assert.deepEqual(await readdir(dir), [], "nothing of it is kept");
  });

  test("a download that fails while the server is away is tried again when models:desired comes back", async () => {
    const { server, statuses, files, dir } = await setup({ failFirst: { times: 3, status: 503 } });
    const model = files.add("model.onnx", testBytes(20_000, 6));
    const want = [desired("dep_1", "ver_1", [model])];
    push(server, want);
    await waitFor("failed", () => statesOf(statuses, "ver_1").some((s) => s.state === "failed"));
    assert.equal(statesOf(statuses, "ver_1").at(-1)?.error?.code, "DOWNLOAD_FAILED");
    // What the server does on every connect: it sends the desired set again.
    push(server, want);
    await waitFor("ready", () => statesOf(statuses, "ver_1").some((s) => s.state === "ready"));
    assert.ok((await readdir(dir)).includes(model.sha256));
  });

  test("offline mid-download: the download fails, and resumes from its part when the device is back", async () => {
    const { server, statuses, files, dir, onConnect } = await setup({ chunkBytes: 8 * 1024, chunkDelayMs: 10 });
    const bytes = testBytes(800_000, 7);
    const model = files.add("model.onnx", bytes);
    onConnect.models = [desired("dep_1", "ver_1", [model])];
    push(server, onConnect.models);
    await waitFor("some progress", () =>
      statesOf(statuses, "ver_1").some((s) => s.state === "downloading" && (s.percent ?? 0) >= 10),
    );
    // The network goes: the file server vanishes mid-body; the bounded retries give up.
    await files.close();
    await waitFor("failed", () => statesOf(statuses, "ver_1").some((s) => s.state === "failed"), 10_000);
    assert.equal(statesOf(statuses, "ver_1").at(-1)?.error?.code, "DOWNLOAD_FAILED");
    const part = (await readdir(dir)).find((n) => n.endsWith(".part"));
    assert.ok(part, "the part is kept");

    // It comes back: same address, the socket reconnects, the server pushes the desired set on connect.
    const back = await startFileServer({ port: files.port });
    onCleanup(() => back.close());
    back.add("model.onnx", bytes);
    const before = statuses.length;
    for (const s of server.sockets) s.disconnect();
    await waitFor("ready", () => statesOf(statuses.slice(before), "ver_1").some((s) => s.state === "ready"), 10_000);
    const resumed = back.requests[0]?.headers.range ?? "";
    const from = Number(/^bytes=(\d+)-$/.exec(resumed)?.[1] ?? 0);
    assert.ok(from >= 80_000, `resumed from byte ${from}, not from zero`);
    assert.equal(back.requests.length, 1);
    assert.equal(
      statesOf(statuses.slice(before), "ver_1")[0]?.state,
      "failed",
      "the full list (still failed) is sent first on reconnect",
    );
    assert.ok((await readdir(dir)).includes(model.sha256));
  });

  test("an invalid models:desired is ignored and logged", async () => {
    const { server, statuses, agent } = await setup();
    for (const s of server.sockets) s.emit("models:desired", { models: [{ deploymentId: "x" }] } as never);
    await waitFor("the warning", () =>
      agent.lines.some((l) => l.msg === "ignored an invalid models:desired from the server"),
    );
    assert.equal(statuses.length, 0);
  });
});
