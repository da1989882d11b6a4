import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { modelFileRefSchema } from "@labfleet/protocol";
import { FACE_FIXTURES_DIR, FACE_MODEL_MANIFEST, faceDetectorEntry, isFaceEvalSet } from "./face.ts";
import { describeFile } from "./files.ts";
import { catalogEntries } from "./index.ts";
import type { CatalogEntry, FaceEvalSet } from "./types.ts";

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-face-catalog-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function entryOrFail(dir?: string): CatalogEntry {
  const e = faceDetectorEntry(dir);
  assert.ok(e, "face-api is a dependency of the catalog, so the entry exists");
  return e;
}

/** face-api's own package.json, read directly rather than through the catalog's lookup. */
function faceApiManifest(): { version: string; license: string } {
  const main = createRequire(import.meta.url).resolve("@vladmandic/face-api");
  return JSON.parse(readFileSync(path.join(path.dirname(main), "..", "package.json"), "utf8"));
}

describe("the face detector entry", () => {
  test("is a bundled tfjs-wasm model with face-api's version and licence, listed in the catalog", async () => {
    const e = entryOrFail();
    assert.equal(e.slug, "face-detector");
    assert.equal(e.task, "face-detection");
    assert.equal(e.origin, "bundled");
    assert.equal(e.synthetic, false);
    assert.equal(e.sourcePackage, "@vladmandic/face-api");
    assert.equal(e.sourceVersion, faceApiManifest().version);
    assert.equal(e.licence, faceApiManifest().license);
    assert.equal(e.licence, "MIT");
    assert.equal(e.variants.length, 1);
    const [v] = e.variants;
    assert.ok(v);
    assert.equal(v.format, "tfjs");
    assert.equal(v.runtime, "tfjs-wasm");
    const all = await catalogEntries({ workDir: path.join(tmp, "work") });
    assert.ok(all.some((x) => x.slug === "face-detector"));
  });

  test("lists the manifest, the shard it names, the eval set and every image, as valid file refs", async () => {
    const [v] = entryOrFail().variants;
    assert.ok(v);
    const names = v.files.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, "unique names");
    for (const f of v.files) {
      const { sha256, sizeBytes } = await describeFile(f.path);
      const ref = modelFileRefSchema.safeParse({ sha256, sizeBytes, name: f.name, role: f.role });
      assert.ok(ref.success, `${f.name}: ${ref.error?.message}`);
    }
    const model = v.files.find((f) => f.role === "model");
    assert.equal(model?.name, FACE_MODEL_MANIFEST);
    const manifest = JSON.parse(readFileSync(model.path, "utf8")) as Array<{ paths: string[] }>;
    const shards = manifest.flatMap((g) => g.paths);
    assert.deepEqual(
      v.files.filter((f) => f.role === "weights").map((f) => f.name),
      shards,
      "the weight files are exactly the shards the manifest names, under those names",
    );
    const evalFile = v.files.find((f) => f.role === "eval");
    assert.ok(evalFile);
    const set: unknown = JSON.parse(readFileSync(evalFile.path, "utf8"));
    assert.ok(isFaceEvalSet(set));
    assert.deepEqual(
      v.files.filter((f) => f.role === "eval-image").map((f) => f.name),
      set.items.map((i) => i.image),
    );
    assert.equal(v.meta.evaluationItems, set.items.length);
    assert.deepEqual(v.meta.inputSize, [512, 512]);
    assert.ok(Array.isArray(v.meta.outputs));
  });

  test("the committed evaluation set holds small images, faceless ones among them, from MIT demo photos", async () => {
    const set = JSON.parse(readFileSync(path.join(FACE_FIXTURES_DIR, "eval.json"), "utf8")) as FaceEvalSet;
    assert.ok(set.items.length >= 4 && set.items.length <= 10);
    assert.ok(
      set.items.some((i) => i.faces === 0),
      "at least one image without a face",
    );
    assert.ok(
      set.items.some((i) => i.faces >= 2),
      "at least one image with several faces",
    );
    assert.match(String(set.source), /@vladmandic\/face-api@.*MIT/);
    for (const item of set.items) {
      const { sizeBytes } = await describeFile(path.join(FACE_FIXTURES_DIR, item.image));
      assert.ok(sizeBytes < 300_000, `${item.image} is ${sizeBytes} bytes`);
    }
  });

  test("without fixtures, or with a broken or foreign eval.json, the entry stays valid and says why", async () => {
    const empty = path.join(tmp, "none");
    await mkdir(empty, { recursive: true });
    const bare = entryOrFail(empty).variants[0];
    assert.deepEqual(
      bare?.files.map((f) => f.role),
      ["model", "weights"],
    );
    assert.equal(bare?.meta.evaluation, null);
    assert.match(String(bare?.meta.evaluationNote), /missing/);

    const broken = path.join(tmp, "broken");
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, "eval.json"), "{ nope");
    assert.match(String(entryOrFail(broken).variants[0]?.meta.evaluationNote), /not valid JSON/);

    const foreign = path.join(tmp, "foreign");
    await mkdir(foreign, { recursive: true });
    await writeFile(
      path.join(foreign, "eval.json"),
      JSON.stringify({ kind: "ocr", items: [{ image: "a.png", text: "x" }] }),
    );
    assert.match(String(entryOrFail(foreign).variants[0]?.meta.evaluationNote), /not a face evaluation set/);

    // An image that would clash with the model's own file names, or climbs out of the folder, is left out.
    const odd = path.join(tmp, "odd");
    await mkdir(odd, { recursive: true });
    await writeFile(path.join(odd, "ok.jpg"), "x");
    await writeFile(path.join(odd, FACE_MODEL_MANIFEST), "x");
    await writeFile(
      path.join(odd, "eval.json"),
      JSON.stringify({
        kind: "face-detection",
        items: [
          { image: "ok.jpg", faces: 1 },
          { image: FACE_MODEL_MANIFEST, faces: 0 },
          { image: "../ok.jpg", faces: 0 },
          { image: "missing.jpg", faces: 2 },
        ],
      }),
    );
    const v = entryOrFail(odd).variants[0];
    assert.deepEqual(
      v?.files.filter((f) => f.role === "eval-image").map((f) => f.name),
      ["ok.jpg"],
    );
    assert.deepEqual(v?.meta.evaluationSkipped, [FACE_MODEL_MANIFEST, "../ok.jpg", "missing.jpg"]);
  });

  test("isFaceEvalSet refuses counts that are not whole, non-negative numbers", () => {
    assert.equal(isFaceEvalSet({ kind: "face-detection", items: [{ image: "a.jpg", faces: 1.5 }] }), false);
    assert.equal(isFaceEvalSet({ kind: "face-detection", items: [{ image: "a.jpg", faces: -1 }] }), false);
    assert.equal(isFaceEvalSet({ kind: "face-detection", items: [{ image: "a.jpg", faces: "2" }] }), false);
    assert.equal(isFaceEvalSet({ kind: "face-detection", items: [{ image: "a.jpg", faces: 0 }] }), true);
  });
});
