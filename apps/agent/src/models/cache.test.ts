import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import type { ModelFileRef, ModelVersionRef } from "@labfleet/protocol";
import { captureLogger } from "../testing/capture-logger.ts";
import { ModelCache, type ModelCacheOptions } from "./cache.ts";
import { isModelError } from "./errors.ts";
import { DEVICE, type FileServer, sha256Of, startFileServer, testBytes } from "./test-file-server.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(
  behaviour: Parameters<typeof startFileServer>[0] = {},
  opts: Partial<ModelCacheOptions> = {},
): Promise<{ server: FileServer; cache: ModelCache; dir: string; lines: ReturnType<typeof captureLogger>["lines"] }> {
  const server = await startFileServer(behaviour);
  const dir = mkdtempSync(join(tmpdir(), "labfleet-models-"));
  const { log, lines } = captureLogger("debug");
  const cache = new ModelCache({
    dir,
    maxBytes: 1024 ** 3,
    serverUrl: server.url,
    auth: DEVICE,
    log,
    download: { attempts: 4, backoffMs: 20, idleTimeoutMs: 2_000 },
    ...opts,
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => server.close());
  return { server, cache, dir, lines };
}

const version = (files: ModelFileRef[], versionId = "ver_1"): ModelVersionRef => ({
  versionId,
  task: "onnx-generic",
  runtime: "onnxruntime-node",
  files,
});

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isModelError(e), `a ModelError, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail("expected a rejection");
}

describe("ModelCache against a real HTTP file server", () => {
  test("downloads with the device's credentials, verifies, renames into <dir>/<sha256>, reports progress", async () => {
    const { server, cache, dir } = await setup({ chunkBytes: 16 * 1024 });
    const bytes = testBytes(300_000, 1);
    const keys = server.add("keys.txt", testBytes(1_000, 2), "keys");
    const model = server.add("model.onnx", bytes);
    const percents: number[] = [];
    const files = await cache.ensure(version([model, keys]), { onProgress: (p) => percents.push(p) });

    const got = files.get("model.onnx");
    assert.equal(got?.path, join(dir, model.sha256));
    assert.equal(got?.role, "model");
    assert.equal(files.get("keys.txt")?.sha256, keys.sha256);
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
    assert.deepEqual((await readdir(dir)).sort(), [keys.sha256, model.sha256].sort(), "no part file is left");
    assert.equal(percents.at(-1), 100);
    assert.ok(percents.length > 3, `several progress steps (${percents.join(",")})`);
    assert.ok(
      percents.every((p, i) => i === 0 || p >= (percents[i - 1] ?? 0)),
      "progress never goes back",
    );
    assert.equal(server.requests[0]?.headers["x-labfleet-device-id"], DEVICE.deviceId);
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${DEVICE.secret}`);
    assert.equal(server.requests[0]?.headers.range, undefined);

    // Held: a second ensure asks the server for nothing.
    await cache.ensure(version([model, keys]), {});
    assert.equal(server.requests.length, 2);
  });

  test("a download cut mid-body resumes with Range/If-Range and the file hashes right", async () => {
    const { server, cache, dir } = await setup({ cutAfterBytes: 120_000, cutTimes: 1, chunkBytes: 8 * 1024 });
    const model = server.add("model.onnx", testBytes(400_000, 3));
    await cache.ensure(version([model]), {});

    assert.equal(server.requests.length, 2, "one cut request, one resumed request");
    assert.equal(server.requests[0]?.headers.range, undefined);
    assert.equal(server.requests[1]?.headers.range, "bytes=120000-", "the second request asks only for the rest");
    assert.equal(server.requests[1]?.headers["if-range"], `"${model.sha256}"`);
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
    assert.deepEqual(await readdir(dir), [model.sha256]);
  });

  test("a part left by an earlier agent run is resumed from where it ended", async () => {
    const { server, cache, dir } = await setup();
    const bytes = testBytes(200_000, 4);
    const model = server.add("model.onnx", bytes);
    await writeFile(join(dir, `${model.sha256}.part`), bytes.subarray(0, 150_000));
    await cache.ensure(version([model]), {});
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers.range, "bytes=150000-");
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
  });

  test("a server that ignores Range sends the whole file: the part starts over and the file is right", async () => {
    const { server, cache, dir } = await setup({ ignoreRange: true });
    const bytes = testBytes(100_000, 5);
    const model = server.add("model.onnx", bytes);
    await writeFile(join(dir, `${model.sha256}.part`), bytes.subarray(0, 60_000));
    await cache.ensure(version([model]), {});
    assert.equal(server.requests[0]?.headers.range, "bytes=60000-");
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
    assert.equal((await stat(join(dir, model.sha256))).size, 100_000);
  });

  test("wrong bytes: HASH_MISMATCH, nothing in the cache, the part deleted", async () => {
    const { server, cache, dir } = await setup({ corrupt: true });
    const model = server.add("model.onnx", testBytes(50_000, 6));
    const err = await rejection(cache.ensure(version([model]), {}));
    assert.equal(err.code, "HASH_MISMATCH");
    assert.match(err.message, /will not be run/);
    assert.deepEqual(await readdir(dir), [], "neither the file nor its part is kept");
    assert.equal(server.requests.length, 1, "a mismatch is not retried inside one ensure");
  });

  test("a damaged part from before makes the whole file mismatch; the next try downloads it clean", async () => {
    const { server, cache, dir } = await setup();
    const bytes = testBytes(80_000, 7);
    const model = server.add("model.onnx", bytes);
    await writeFile(join(dir, `${model.sha256}.part`), Buffer.alloc(30_000, 1));
    assert.equal((await rejection(cache.ensure(version([model]), {}))).code, "HASH_MISMATCH");
    assert.deepEqual(await readdir(dir), []);
    await cache.ensure(version([model]), {});
    assert.equal(server.requests[1]?.headers.range, undefined);
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
  });

  test("a cached file is hashed again once per process: a damaged one is replaced, a good one is used", async () => {
    const { server, cache, dir, lines } = await setup();
    const good = testBytes(40_000, 15);
    const bad = testBytes(40_000, 16);
    const a = server.add("a.onnx", good);
    const b = server.add("b.onnx", bad);
    await writeFile(join(dir, a.sha256), good);
    const damaged = Buffer.from(bad);
    damaged[100] = (damaged[100] ?? 0) ^ 1;
    await writeFile(join(dir, b.sha256), damaged);
    let verifying = 0;
    await cache.ensure(version([a, b]), { onVerifying: () => verifying++ });
    assert.deepEqual(
      server.requests.map((r) => r.sha256),
      [b.sha256],
      "only the damaged file is downloaded again",
    );
    assert.equal(sha256Of(await readFile(join(dir, b.sha256))), b.sha256);
    assert.ok(verifying >= 2);
    assert.ok(lines.some((l) => l.msg === "a cached model file no longer matches its hash; downloading it again"));
    verifying = 0;
    await cache.ensure(version([a, b]), { onVerifying: () => verifying++ });
    assert.equal(verifying, 0, "not hashed twice in one process");
  });

  test("refused credentials: UNAUTHORIZED at once, no retry; 503s are retried with backoff", async () => {
    const { server, cache } = await setup({ failFirst: { times: 2, status: 503 } });
    const model = server.add("model.onnx", testBytes(10_000, 8));
    await cache.ensure(version([model]), {});
    assert.equal(server.requests.length, 3);

    const bad = new ModelCache({
      dir: mkdtempSync(join(tmpdir(), "labfleet-models-")),
      maxBytes: 1024 ** 2,
      serverUrl: server.url,
      auth: { deviceId: DEVICE.deviceId, secret: "wrong" },
      log: captureLogger().log,
      download: { attempts: 4, backoffMs: 10 },
    });
    cleanups.push(() => rmSync(bad.dir, { recursive: true, force: true }));
    const other = server.add("other.onnx", testBytes(10_000, 9));
    const err = await rejection(bad.ensure(version([other]), {}));
    assert.equal(err.code, "UNAUTHORIZED");
    assert.equal(server.requests.filter((r) => r.sha256 === other.sha256).length, 1);
  });

  test("a server that keeps failing: DOWNLOAD_FAILED after the bounded attempts", async () => {
    const { server, cache } = await setup({ failFirst: { times: 100, status: 500 } });
    const model = server.add("model.onnx", testBytes(10_000, 10));
    const err = await rejection(cache.ensure(version([model]), {}));
    assert.equal(err.code, "DOWNLOAD_FAILED");
    assert.match(err.message, /4 attempts/);
    assert.equal(server.requests.length, 4);
  });

  test("nothing listening: DOWNLOAD_FAILED, not a crash", async () => {
    const { server, cache } = await setup();
    const model = server.add("model.onnx", testBytes(1_000, 11));
    await server.close();
    assert.equal((await rejection(cache.ensure(version([model]), {}))).code, "DOWNLOAD_FAILED");
  });

  test("an aborted ensure stops the download with CANCELLED and keeps the part for later", async () => {
    const { server, cache, dir } = await setup({ chunkBytes: 4 * 1024, chunkDelayMs: 10 });
    const model = server.add("model.onnx", testBytes(400_000, 12));
    const controller = new AbortController();
    const p = cache.ensure(version([model]), {
      signal: controller.signal,
      onProgress: (pct) => {
        if (pct >= 5) controller.abort();
      },
    });
    assert.equal((await rejection(p)).code, "CANCELLED");
    await waitUntil(async () => (await readdir(dir)).includes(`${model.sha256}.part`));
    assert.ok(!(await readdir(dir)).includes(model.sha256));
    // The resumed download picks up the part.
    server.behaviour.chunkDelayMs = 0;
    await cache.ensure(version([model]), {});
    assert.match(String(server.requests.at(-1)?.headers.range), /^bytes=\d+-$/);
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
  });

  test("concurrent ensures of the same file share one download", async () => {
    const { server, cache } = await setup({ chunkBytes: 16 * 1024, chunkDelayMs: 2 });
    const model = server.add("model.onnx", testBytes(200_000, 13));
    const [a, b] = await Promise.all([
      cache.ensure(version([model], "ver_a"), {}),
      cache.ensure(version([model], "ver_b"), {}),
    ]);
    assert.equal(a.get("model.onnx")?.path, b.get("model.onnx")?.path);
    assert.equal(server.requests.length, 1);
  });

  test("one of two waiters cancelling does not stop the download for the other", async () => {
    const { server, cache, dir } = await setup({ chunkBytes: 8 * 1024, chunkDelayMs: 5 });
    const model = server.add("model.onnx", testBytes(160_000, 14));
    const controller = new AbortController();
    const first = cache.ensure(version([model]), { signal: controller.signal });
    const second = cache.ensure(version([model]), {});
    setTimeout(() => controller.abort(), 30);
    assert.equal((await rejection(first)).code, "CANCELLED");
    await second;
    assert.equal(server.requests.length, 1);
    assert.equal(sha256Of(await readFile(join(dir, model.sha256))), model.sha256);
  });

  test("an invalid ref (a hash that is a path) is refused before touching the disk", async () => {
    const { cache } = await setup();
    const err = await rejection(
      cache.ensure(version([{ sha256: "../../etc/passwd", sizeBytes: 10, name: "x.onnx", role: "model" }]), {}),
    );
    assert.equal(err.code, "BAD_REQUEST");
  });
});

describe("ModelCache size cap", () => {
  test("evicts the least recently used files first, never a protected or a recently used one", async () => {
    let clock = 1_764_000_000_000;
    const { server, cache, dir, lines } = await setup(
      {},
      { maxBytes: 300_000, inUseGraceMs: 0, now: () => (clock += 1_000) },
    );
    const a = server.add("a.onnx", testBytes(100_000, 20));
    const b = server.add("b.onnx", testBytes(100_000, 21));
    const c = server.add("c.onnx", testBytes(100_000, 22));
    const d = server.add("d.onnx", testBytes(100_000, 23));
    const e = server.add("e.onnx", testBytes(100_000, 24));
    await cache.ensure(version([a], "va"), {});
    await cache.ensure(version([b], "vb"), {});
    await cache.ensure(version([c], "vc"), {});
    await cache.ensure(version([a], "va"), {}); // a is now the most recently used; b the least.
    await cache.ensure(version([d], "vd"), {});
    assert.deepEqual((await readdir(dir)).sort(), [a.sha256, c.sha256, d.sha256].sort());
    assert.ok(lines.some((l) => l.msg === "evicted a model file from the cache" && l.sha256 === b.sha256));

    // c is the oldest now, but desired: the next oldest (a) goes instead.
    cache.setProtected([c.sha256]);
    await cache.ensure(version([e], "ve"), {});
    assert.deepEqual((await readdir(dir)).sort(), [c.sha256, d.sha256, e.sha256].sort());
    assert.ok((await cache.usageBytes()) <= 300_000);
  });

  test("CACHE_FULL when the files that must stay leave no room; nothing evicted", async () => {
    const { server, cache, dir } = await setup({}, { maxBytes: 250_000, inUseGraceMs: 0 });
    const a = server.add("a.onnx", testBytes(100_000, 30));
    const b = server.add("b.onnx", testBytes(100_000, 31));
    const c = server.add("c.onnx", testBytes(100_000, 32));
    await cache.ensure(version([a], "va"), {});
    await cache.ensure(version([b], "vb"), {});
    cache.setProtected([a.sha256, b.sha256, c.sha256]);
    const err = await rejection(cache.ensure(version([c], "vc"), {}));
    assert.equal(err.code, "CACHE_FULL");
    assert.deepEqual((await readdir(dir)).sort(), [a.sha256, b.sha256].sort());
  });

  test("a file handed to a run stays through the grace period even when not desired", async () => {
    const { server, cache, dir } = await setup({}, { maxBytes: 150_000, inUseGraceMs: 60_000 });
    const a = server.add("a.onnx", testBytes(100_000, 40));
    const b = server.add("b.onnx", testBytes(100_000, 41));
    await cache.ensure(version([a], "va"), {});
    assert.equal((await rejection(cache.ensure(version([b], "vb"), {}))).code, "CACHE_FULL");
    assert.deepEqual(await readdir(dir), [a.sha256]);
  });

  test("a lower cap is enforced once the desired set is known", async () => {
    const { server, dir, cache } = await setup({}, { maxBytes: 1024 ** 2, inUseGraceMs: 0 });
    const a = server.add("a.onnx", testBytes(100_000, 50));
    const b = server.add("b.onnx", testBytes(100_000, 51));
    await cache.ensure(version([a], "va"), {});
    await cache.ensure(version([b], "vb"), {});
    const smaller = new ModelCache({
      dir,
      maxBytes: 150_000,
      serverUrl: server.url,
      auth: DEVICE,
      log: captureLogger().log,
      inUseGraceMs: 0,
    });
    smaller.setProtected([b.sha256]);
    await waitUntil(async () => (await readdir(dir)).length === 1);
    assert.deepEqual(await readdir(dir), [b.sha256]);
  });
});

async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
