import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { sileroVadEntry, VAD_FIXTURES_DIR } from "./bundled.ts";
import type { VadEvalSet } from "./types.ts";

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-bundled-test-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("Silero VAD evaluation set", () => {
  test("the committed set: small 16 kHz mono WAVs, tight segments inside each recording", async () => {
    const set = JSON.parse(readFileSync(path.join(VAD_FIXTURES_DIR, "eval.json"), "utf8")) as VadEvalSet;
    assert.equal(set.kind, "vad");
    assert.equal(set.sampleRate, 16_000);
    assert.ok(set.items.length >= 2);
    for (const item of set.items) {
      const wav = readFileSync(path.join(VAD_FIXTURES_DIR, item.audio));
      assert.ok((await stat(path.join(VAD_FIXTURES_DIR, item.audio))).size < 1_000_000, item.audio);
      // The canonical 44-byte header the script writes: PCM, one channel, 16 kHz, 16-bit.
      assert.equal(wav.toString("ascii", 0, 4), "RIFF");
      assert.deepEqual([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24)], [1, 1, 16_000]);
      assert.equal(wav.readUInt16LE(34), 16);
      const durationMs = (wav.readUInt32LE(40) / 2 / 16_000) * 1000;
      let previousEnd = 0;
      for (const s of item.segments) {
        assert.ok(s.startMs >= previousEnd + 500, `${item.audio}: segments apart, with silence before each`);
        assert.ok(s.endMs - s.startMs >= 1000 && s.endMs <= durationMs - 500, `${item.audio}: ${s.startMs}–${s.endMs}`);
        previousEnd = s.endMs;
      }
    }
  });

  test("every variant carries the set: eval.json and each recording, and the meta says what is scored", () => {
    const set = JSON.parse(readFileSync(path.join(VAD_FIXTURES_DIR, "eval.json"), "utf8")) as VadEvalSet;
    const entry = sileroVadEntry();
    assert.ok(entry.variants.length >= 3);
    for (const v of entry.variants) {
      assert.deepEqual(
        v.files.map((f) => [f.name, f.role]),
        [["model.onnx", "model"], ["eval.json", "eval"], ...set.items.map((i) => [i.audio, "eval-audio"])],
      );
      assert.equal(v.meta.evaluationItems, set.items.length);
      assert.match(String(v.meta.evaluation), /share of 32 ms frames/);
      assert.equal(v.meta.evaluationNote, undefined);
    }
  });

  test("without the set, or with one that is not a VAD set, the entry stays valid and says why", async () => {
    const empty = path.join(tmp, "none");
    await mkdir(empty);
    const bare = sileroVadEntry(empty).variants[0];
    assert.deepEqual(
      bare?.files.map((f) => f.role),
      ["model"],
    );
    assert.equal(bare?.meta.evaluation, null);
    assert.match(
      String(bare?.meta.evaluationNote),
      /VAD evaluation set is present \(fixtures\/vad\/eval\.json is missing/,
    );

    const wrong = path.join(tmp, "wrong");
    await mkdir(wrong);
    // An OCR set, and a VAD set at 8 kHz: neither is what the adapter reads.
    await writeFile(path.join(wrong, "eval.json"), JSON.stringify({ kind: "ocr", items: [] }));
    assert.match(String(sileroVadEntry(wrong).variants[0]?.meta.evaluationNote), /not a VAD evaluation set/);
    await writeFile(path.join(wrong, "eval.json"), JSON.stringify({ kind: "vad", sampleRate: 8000, items: [] }));
    assert.match(String(sileroVadEntry(wrong).variants[0]?.meta.evaluationNote), /not a VAD evaluation set/);

    // Only recordings that exist and have plain names are listed; the model's own name is never shadowed.
    const partial = path.join(tmp, "partial");
    await mkdir(partial);
    await copyFile(path.join(VAD_FIXTURES_DIR, "two-phrases-noisy.wav"), path.join(partial, "a.wav"));
    await writeFile(path.join(partial, "model.onnx"), "not a model");
    const segments = [{ startMs: 100, endMs: 900 }];
    await writeFile(
      path.join(partial, "eval.json"),
      JSON.stringify({
        kind: "vad",
        sampleRate: 16_000,
        items: [
          { audio: "a.wav", segments },
          { audio: "b.wav", segments },
          { audio: "model.onnx", segments },
        ],
      }),
    );
    const v = sileroVadEntry(partial).variants[0];
    assert.deepEqual(
      v?.files.map((f) => [f.name, f.role]),
      [
        ["model.onnx", "model"],
        ["eval.json", "eval"],
        ["a.wav", "eval-audio"],
      ],
    );
    assert.equal(v?.files[0]?.path.includes(partial), false);
    assert.deepEqual(v?.meta.evaluationSkipped, ["b.wav", "model.onnx"]);
    assert.equal(v?.meta.evaluationSpeechMs, 800);
  });
});
