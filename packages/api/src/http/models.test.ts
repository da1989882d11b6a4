import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { Agent, get as httpGet, request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { PROTOCOL_VERSION } from "@labfleet/protocol";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { syncCatalog } from "../services/models/catalog-sync.ts";
import { buildGguf, tinyLlamaGguf } from "../services/models/gguf-testkit.ts";
import { SILERO_VAD, SILERO_VAD_HALF, vadEntry } from "../services/models/model-testkit.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { parseRange } from "./models.ts";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A POST whose body is written chunk by chunk: `abortAfter` destroys the request after that many bytes (a
 * truncated upload); the server may answer before the whole body is sent (a refusal), which is returned.
 */
function post(
  url: string,
  headers: Record<string, string>,
  chunks: Buffer[],
  opts: { abortAfter?: number } = {},
): Promise<RawAnswer | "aborted"> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const body: Buffer[] = [];
      res.on("data", (c: Buffer) => body.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body) }));
      res.on("error", reject);
    });
    req.on("error", (e) => {
      if (opts.abortAfter !== undefined) resolve("aborted");
      // A server that refuses mid-body closes the connection; the answer came first or it is a failure.
      else if (!answered) setTimeout(() => reject(e), 200);
    });
    let sent = 0;
    const writeNext = (i: number): void => {
      if (i >= chunks.length) {
        req.end();
        return;
      }
      const chunk = chunks[i] as Buffer;
      if (opts.abortAfter !== undefined && sent + chunk.length > opts.abortAfter) {
        req.write(chunk.subarray(0, opts.abortAfter - sent), () => setTimeout(() => req.destroy(), 50));
        return;
      }
      sent += chunk.length;
      if (answered || req.destroyed) return;
      if (req.write(chunk)) setImmediate(() => writeNext(i + 1));
      else req.once("drain", () => writeNext(i + 1));
    };
    writeNext(0);
  });
}

function split(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe("/api/models over HTTP", () => {
  let cp: TestControlPlane;
  let device: { deviceId: string; secret: string };
  let staffCookie: string;
  let studentCookie: string;
  let vadBytes: Buffer;
  let vadSha: string;

  const deviceHeaders = (d = device) => ({ "x-labfleet-device-id": d.deviceId, authorization: `Bearer ${d.secret}` });
  const fileUrl = (sha: string) => `${cp.url}/api/models/files/${sha}`;
  const uploadUrl = (q: Record<string, string>) => `${cp.url}/api/models/upload?${new URLSearchParams(q)}`;
  const upload = (q: Record<string, string>, body: Buffer, cookie = staffCookie, chunkBytes = 256 * 1024) =>
    post(
      uploadUrl(q),
      { cookie, "content-type": "application/octet-stream", "content-length": String(body.length) },
      split(body, chunkBytes),
    ) as Promise<RawAnswer>;
  const json = (a: RawAnswer) => JSON.parse(a.body.toString("utf8"));
  const counts = async () => ({
    models: await cp.db.prisma.model.count(),
    versions: await cp.db.prisma.modelVersion.count(),
    blobs: await cp.db.prisma.blob.count(),
    blobFiles: (await readdir(cp.plane.blobs.blobsDir)).length,
    incoming: (await readdir(cp.plane.blobs.incomingDir)).length,
  });
  const enroll = async (hostname: string) => {
    const { token } = await createEnrollmentToken(cp.db, { label: "t", expiresInHours: 1, maxUses: 10 }, null);
    const e = await enrollDevice(cp.db, { token, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "0.1.0" });
    return { deviceId: e.deviceId, secret: e.deviceSecret };
  };

  before(async () => {
    cp = await startTestControlPlane();
    device = await enroll("lab-pc-01");
    staffCookie = await cp.cookieFor(await cp.user("instructor"));
    studentCookie = await cp.cookieFor(await cp.user("student"));
    const evalPath = path.join(tmpdir(), `labfleet-eval-${process.pid}.json`);
    await writeFile(evalPath, "{}");
    await syncCatalog(cp.db, cp.plane.blobs, [vadEntry(evalPath)], cp.db.log);
    await rm(evalPath);
    vadBytes = await readFile(SILERO_VAD);
    vadSha = sha256(vadBytes);
  });
  after(async () => {
    await cp.close();
  });

  describe("downloads", () => {
    test("parseRange follows RFC 9110 for single ranges and ignores what it does not parse", () => {
      assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
      assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
      assert.deepEqual(parseRange("bytes=95-200", 100), { start: 95, end: 99 });
      assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
      assert.deepEqual(parseRange("bytes=-500", 100), { start: 0, end: 99 });
      assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
      assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
      assert.equal(parseRange("bytes=0-1,5-6", 100), null);
      assert.equal(parseRange("bytes=9-3", 100), null);
      assert.equal(parseRange("items=0-1", 100), null);
      assert.equal(parseRange(undefined, 100), null);
    });

    test("no credentials, a wrong secret and a revoked device are refused with a code", async () => {
      const none = await fetch(fileUrl(vadSha));
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as { error: { code: string } }).error.code, "UNAUTHORIZED");
      const wrong = await fetch(fileUrl(vadSha), { headers: deviceHeaders({ ...device, secret: "lfd_wrong" }) });
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, "BAD_CREDENTIAL");
      const revoked = await enroll("lab-pc-99");
      await cp.db.prisma.device.update({ where: { id: revoked.deviceId }, data: { revokedAt: new Date() } });
      const r = await fetch(fileUrl(vadSha), { headers: deviceHeaders(revoked) });
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, "DEVICE_REVOKED");
    });

    test("the whole file, with its hash as ETag; HEAD has the headers and no body", async () => {
      const res = await fetch(fileUrl(vadSha), { headers: deviceHeaders() });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("etag"), `"${vadSha}"`);
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.equal(res.headers.get("content-length"), String(vadBytes.length));
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), vadSha);

      const head = await fetch(fileUrl(vadSha), { method: "HEAD", headers: deviceHeaders() });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(vadBytes.length));
      assert.equal(head.headers.get("etag"), `"${vadSha}"`);
      assert.equal((await head.arrayBuffer()).byteLength, 0);

      const cached = await fetch(fileUrl(vadSha), { headers: { ...deviceHeaders(), "if-none-match": `"${vadSha}"` } });
      assert.equal(cached.status, 304);
    });

    test("a single Range resumes (206 with Content-Range); If-Range with another tag gets the whole file", async () => {
      const part = await fetch(fileUrl(vadSha), { headers: { ...deviceHeaders(), range: "bytes=1000-1999" } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 1000-1999/${vadBytes.length}`);
      assert.equal(part.headers.get("content-length"), "1000");
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(vadBytes.subarray(1000, 2000)));

      // A download cut after 100 kB, resumed from there, gives the file back bit for bit.
      const cut = 100_000;
      const head = vadBytes.subarray(0, cut);
      const rest = await fetch(fileUrl(vadSha), {
        headers: { ...deviceHeaders(), range: `bytes=${cut}-`, "if-range": `"${vadSha}"` },
      });
      assert.equal(rest.status, 206);
      assert.equal(sha256(Buffer.concat([head, Buffer.from(await rest.arrayBuffer())])), vadSha);

      const stale = await fetch(fileUrl(vadSha), {
        headers: { ...deviceHeaders(), range: "bytes=0-9", "if-range": `"${"0".repeat(64)}"` },
      });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.get("content-length"), String(vadBytes.length));
      await stale.arrayBuffer();

      const suffix = await fetch(fileUrl(vadSha), { headers: { ...deviceHeaders(), range: "bytes=-16" } });
      assert.equal(suffix.status, 206);
      assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(vadBytes.subarray(-16)));

      const outside = await fetch(fileUrl(vadSha), {
        headers: { ...deviceHeaders(), range: `bytes=${vadBytes.length}-` },
      });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get("content-range"), `bytes */${vadBytes.length}`);
      await outside.arrayBuffer();
    });

    test("only files of a model version are served; a name that is not a hash is not found", async () => {
      const loose = path.join(tmpdir(), `labfleet-loose-${process.pid}`);
      await writeFile(loose, "a blob that no version uses");
      const { sha256: looseSha } = await cp.plane.blobs.importFile(loose);
      await rm(loose);
      const res = await fetch(fileUrl(looseSha), { headers: deviceHeaders() });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
      await cp.plane.blobs.remove(looseSha);
      const odd = await fetch(`${cp.url}/api/models/files/..%2F..%2Fetc%2Fpasswd`, { headers: deviceHeaders() });
      assert.equal(odd.status, 404);
      await odd.arrayBuffer();
    });
  });

  test("50 devices fetching a 15 MB model at once: every copy intact, memory growth bounded", async (t) => {
    // A GGUF whose single tensor makes it 15 MB (synced as a catalog entry, so a version refers to it).
    const big = buildGguf({
      kv: { "general.architecture": { type: "string", value: "llama" } },
      tensors: [{ name: "w", dims: [15 * 1024 * 256] }],
    });
    big.fill(0x5a, big.length - 15 * 1024 * 1024);
    const bigPath = path.join(tmpdir(), `labfleet-big-${process.pid}.gguf`);
    await writeFile(bigPath, big);
    const entry = {
      ...vadEntry(bigPath),
      slug: "big-llm",
      task: "llm" as const,
      variants: [
        {
          variant: "f32",
          format: "gguf" as const,
          runtime: "node-llama-cpp" as const,
          files: [{ name: "model.gguf", role: "model", path: bigPath }],
          meta: {},
        },
      ],
    };
    const synced = await syncCatalog(cp.db, cp.plane.blobs, [entry], cp.db.log);
    await rm(bigPath);
    assert.deepEqual(synced.failed, []);
    const bigSha = sha256(big);

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const agent = new Agent({ keepAlive: false, maxSockets: 100 });
    const fetchOne = () =>
      new Promise<string>((resolve, reject) => {
        const req = httpGet(fileUrl(bigSha), { agent, headers: deviceHeaders() }, (res) => {
          const h = createHash("sha256");
          res.on("data", (c: Buffer) => h.update(c));
          res.on("end", () => resolve(h.digest("hex")));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.setTimeout(60_000, () => req.destroy(new Error("download timed out")));
      });
    try {
      const hashes = await Promise.all(Array.from({ length: 50 }, fetchOne));
      assert.ok(hashes.every((h) => h === bigSha));
    } finally {
      clearInterval(sampler);
      agent.destroy();
    }
    const growthMb = (peak - baseline) / 1024 / 1024;
    t.diagnostic(`RSS growth during 50 downloads of 15 MB: ${growthMb.toFixed(1)} MB`);
    // Server and clients share this process: the bound holds for both together.
    assert.ok(growthMb <= 64, `RSS grew by ${growthMb.toFixed(1)} MB`);
  });

  describe("uploads", () => {
    test("an instructor uploads Silero VAD: rows, the blob, its inputs read; a device can fetch it", async () => {
      const before = await counts();
      const a = await upload({ name: "My VAD" }, vadBytes);
      assert.equal(a.status, 201, a.body.toString());
      const { ok, data } = json(a);
      assert.equal(ok, true);
      const model = await cp.caller(await cp.user("admin")).model.get({ id: data.modelId });
      assert.equal(model.name, "My VAD");
      assert.equal(model.origin, "uploaded");
      assert.equal(model.task, "onnx-generic");
      const [version] = model.versions;
      assert.ok(version);
      assert.equal(version.id, data.versionId);
      assert.equal(version.format, "onnx");
      assert.equal(version.runtime, "onnxruntime-node");
      assert.deepEqual(version.files, [
        { name: "model.onnx", role: "model", sha256: vadSha, sizeBytes: vadBytes.length },
      ]);
      assert.deepEqual(
        version.io[0]?.inputs.map((i) => i.name),
        ["input", "state", "sr"],
      );
      // The same bytes as the catalog's fp32 file: stored once.
      assert.deepEqual(await counts(), { ...before, models: before.models + 1, versions: before.versions + 1 });

      // A second variant of the same model; the same variant again is a conflict, refused before the body.
      const half = await readFile(SILERO_VAD_HALF);
      const v2 = await upload({ modelId: data.modelId, variant: "FP16" }, half);
      assert.equal(v2.status, 201, v2.body.toString());
      const again = await upload({ modelId: data.modelId, variant: "fp16" }, half);
      assert.equal(again.status, 409);
      assert.equal(json(again).error.code, "CONFLICT");
      const withVariants = await cp.caller(await cp.user("admin")).model.get({ id: data.modelId });
      assert.deepEqual(withVariants.versions.map((v) => v.variant).sort(), ["fp16", "original"]);
      const fetched = await fetch(fileUrl(sha256(half)), { headers: deviceHeaders() });
      assert.equal(fetched.status, 200);
      assert.equal(sha256(Buffer.from(await fetched.arrayBuffer())), sha256(half));

      // A GGUF cannot become a version of an ONNX model.
      const mixed = await upload({ modelId: data.modelId, variant: "q4" }, tinyLlamaGguf());
      assert.equal(mixed.status, 400);
      assert.match(json(mixed).error.message, /onnx files; this file is gguf/);
      assert.equal((await counts()).incoming, 0);
    });

    test("a GGUF upload reads its header: architecture, quantisation (the default variant), context", async () => {
      const gguf = tinyLlamaGguf();
      const a = await upload({ name: "Tiny llama" }, gguf);
      assert.equal(a.status, 201, a.body.toString());
      const model = await cp.caller(await cp.user("admin")).model.get({ id: json(a).data.modelId });
      assert.equal(model.task, "llm");
      const [v] = model.versions;
      assert.equal(v?.variant, "q4_k_m");
      assert.equal(v?.runtime, "node-llama-cpp");
      assert.deepEqual(v?.io, []);
      assert.deepEqual(v?.meta.gguf, {
        version: 3,
        tensorCount: 2,
        architecture: "llama",
        name: "tiny test llama",
        quantisation: "Q4_K_M",
        contextLength: 2048,
        parameterCount: 40,
      });
    });

    test("students, anonymous callers, a wrong content type and a bad name are refused", async () => {
      const before = await counts();
      const student = await upload({ name: "x" }, vadBytes, studentCookie);
      assert.equal(student.status, 403);
      assert.equal(json(student).error.code, "FORBIDDEN");
      const anon = await upload({ name: "x" }, vadBytes, "");
      assert.equal(anon.status, 401);
      const form = (await post(uploadUrl({ name: "x" }), { cookie: staffCookie, "content-type": "text/plain" }, [
        vadBytes.subarray(0, 1000),
      ])) as RawAnswer;
      assert.equal(form.status, 400);
      const noName = await upload({}, vadBytes);
      assert.equal(noName.status, 400);
      assert.match(json(noName).error.message, /name/);
      const badVariant = await upload({ name: "x", variant: "../../etc" }, vadBytes);
      assert.equal(badVariant.status, 400);
      const unknownModel = await upload({ modelId: "nope", variant: "x" }, vadBytes);
      assert.equal(unknownModel.status, 404);
      assert.deepEqual(await counts(), before);
    });

    test("uploads are limited per user: the 31st in an hour gets 429 with Retry-After; others go on", async () => {
      const cookie = await cp.cookieFor(await cp.user("instructor"));
      const tiny = Buffer.from("not a model");
      // Counted before the body is read, so cheap refusals count as much as real uploads.
      for (let i = 0; i < 30; i++) {
        const res = (await post(uploadUrl({ name: "x" }), { cookie, "content-type": "text/plain" }, [
          tiny,
        ])) as RawAnswer;
        assert.equal(res.status, 400, `upload ${i + 1}`);
      }
      const before = await counts();
      const limited = await upload({ name: "limited" }, vadBytes, cookie);
      assert.equal(limited.status, 429);
      assert.equal(json(limited).error.code, "RATE_LIMITED");
      assert.equal(json(limited).error.message, "Too many uploads. Try again in 60 minutes.");
      const retryAfter = Number(limited.headers["retry-after"]);
      assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
      assert.deepEqual(await counts(), before, "nothing kept");
      const other = (await post(uploadUrl({ name: "x" }), { cookie: staffCookie, "content-type": "text/plain" }, [
        tiny,
      ])) as RawAnswer;
      assert.equal(other.status, 400, "another instructor is not limited by it");
    });

    test("garbage, an empty file and a truncated model are refused with a code and leave nothing", async () => {
      const before = await counts();
      const garbage = await upload({ name: "junk" }, Buffer.from("PK\x03\x04 not a model ".repeat(5000), "latin1"));
      assert.equal(garbage.status, 422);
      assert.equal(json(garbage).ok, false);
      assert.equal(json(garbage).error.code, "MODEL_INVALID");
      assert.match(json(garbage).error.message, /not a valid ONNX model/);
      const empty = await upload({ name: "empty" }, Buffer.alloc(0));
      assert.equal(empty.status, 400);
      const cutGguf = await upload({ name: "cut" }, tinyLlamaGguf().subarray(0, 60));
      assert.equal(cutGguf.status, 422);
      assert.equal(json(cutGguf).error.code, "MODEL_INVALID");
      assert.match(json(cutGguf).error.message, /GGUF.*truncated/);
      const cutOnnx = await upload({ name: "cut" }, vadBytes.subarray(0, 400_000));
      assert.equal(cutOnnx.status, 422);
      assert.deepEqual(await counts(), before);
    });

    test("an upload cut off by the client (truncated) leaves nothing behind", async () => {
      const before = await counts();
      const fresh = Buffer.concat([vadBytes, Buffer.from("different bytes, a different hash")]);
      const r = await post(
        uploadUrl({ name: "cut off" }),
        { cookie: staffCookie, "content-type": "application/octet-stream", "content-length": String(fresh.length) },
        split(fresh, 64 * 1024),
        { abortAfter: 700_000 },
      );
      assert.equal(r, "aborted");
      await eventually(async () => JSON.stringify(await counts()) === JSON.stringify(before), 5000);
      // And the server still takes uploads.
      const ok = await upload({ name: "after the cut" }, await readFile(SILERO_VAD_HALF));
      assert.equal(ok.status, 201);
    });

    test("a 256 MB upload streams to disk: its hash is right and memory does not grow with it", async (t) => {
      const header = tinyLlamaGguf();
      const mb = Buffer.alloc(1024 * 1024, 0x33);
      const chunks = [header, ...Array.from({ length: 256 }, () => mb)];
      const expected = createHash("sha256");
      for (const c of chunks) expected.update(c);
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      let answer: RawAnswer;
      try {
        answer = (await post(
          uploadUrl({ name: "Big llama", variant: "big" }),
          { cookie: staffCookie, "content-type": "application/octet-stream", "transfer-encoding": "chunked" },
          chunks,
        )) as RawAnswer;
      } finally {
        clearInterval(sampler);
      }
      assert.equal(answer.status, 201, answer.body.toString());
      const growthMb = (peak - baseline) / 1024 / 1024;
      t.diagnostic(`RSS growth during a 256 MB upload: ${growthMb.toFixed(1)} MB`);
      assert.ok(growthMb <= 64, `RSS grew by ${growthMb.toFixed(1)} MB`);
      const model = await cp.caller(await cp.user("admin")).model.get({ id: json(answer).data.modelId });
      const file = model.versions[0]?.files[0];
      assert.equal(file?.sha256, expected.digest("hex"));
      assert.equal(file?.sizeBytes, header.length + 256 * 1024 * 1024);
      assert.equal(await cp.plane.blobs.sizeOf(file?.sha256 ?? ""), file?.sizeBytes);
      await cp.caller(await cp.user("admin")).model.remove({ id: model.id });
      assert.equal(await cp.plane.blobs.sizeOf(file?.sha256 ?? ""), null);
    });

    test("past the size cap: 413, announced or not, and nothing is kept", async () => {
      const previous = process.env.LABFLEET_MODEL_MAX_UPLOAD_MB;
      process.env.LABFLEET_MODEL_MAX_UPLOAD_MB = "1";
      try {
        const before = await counts();
        const big = Buffer.alloc(3 * 1024 * 1024, 7);
        const announced = await upload({ name: "big" }, big);
        assert.equal(announced.status, 413);
        assert.equal(json(announced).error.code, "PAYLOAD_TOO_LARGE");
        // Chunked: no Content-Length, so the server finds out while reading and stops there.
        const chunked = (await post(
          uploadUrl({ name: "big" }),
          { cookie: staffCookie, "content-type": "application/octet-stream", "transfer-encoding": "chunked" },
          split(big, 64 * 1024),
        )) as RawAnswer;
        assert.equal(chunked.status, 413);
        assert.equal(json(chunked).error.code, "PAYLOAD_TOO_LARGE");
        await eventually(async () => JSON.stringify(await counts()) === JSON.stringify(before), 5000);
      } finally {
        if (previous === undefined) delete process.env.LABFLEET_MODEL_MAX_UPLOAD_MB;
        else process.env.LABFLEET_MODEL_MAX_UPLOAD_MB = previous;
      }
    });
  });
});
