import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { isAppError } from "../../errors.ts";
import { OCR_REC, SILERO_VAD } from "./model-testkit.ts";
import { inspectOnnx } from "./onnx-inspect.ts";

describe("ONNX inspection in a child process", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "labfleet-onnx-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads the inputs and outputs of Silero VAD and PP-OCRv4 recognition", async () => {
    const vad = await inspectOnnx(SILERO_VAD);
    assert.deepEqual(
      vad.inputs.map((i) => [i.name, i.type, i.shape.length]),
      [
        ["input", "float32", 2],
        ["state", "float32", 3],
        ["sr", "int64", 0],
      ],
    );
    assert.deepEqual(vad.inputs[1]?.shape[2], 128);
    assert.deepEqual(
      vad.outputs.map((o) => o.name),
      ["output", "stateN"],
    );
    const rec = await inspectOnnx(OCR_REC);
    assert.equal(rec.inputs[0]?.name, "x");
    assert.deepEqual(rec.inputs[0]?.shape.slice(1, 3), [3, 48]);
    assert.equal(rec.outputs[0]?.shape[2], 6625);
  });

  test("garbage and a truncated model are refused with the runtime's reason, as a coded error", async () => {
    const garbage = path.join(dir, "garbage.onnx");
    await writeFile(garbage, Buffer.from("this is not a protobuf at all \x00\xff".repeat(100), "latin1"));
    const e = await inspectOnnx(garbage).catch((err: unknown) => err);
    assert.ok(isAppError(e));
    assert.equal(e.code, "MODEL_INVALID");
    assert.match(e.message, /^The file is not a valid ONNX model: .*(Protobuf|parsing|failed)/i);
    assert.doesNotMatch(e.message, new RegExp(dir));

    const cut = path.join(dir, "cut.onnx");
    await copyFile(SILERO_VAD, cut);
    await writeFile(cut, (await readFile(cut)).subarray(0, 300_000));
    const e2 = await inspectOnnx(cut).catch((err: unknown) => err);
    assert.ok(isAppError(e2));
    assert.equal(e2.code, "MODEL_INVALID");
  });

  test("a load that outlives the timeout is killed and refused", async () => {
    const e = await inspectOnnx(OCR_REC, { timeoutMs: 1 }).catch((err: unknown) => err);
    assert.ok(isAppError(e));
    assert.match(e.message, /longer than/);
  });
});
