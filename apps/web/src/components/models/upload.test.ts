import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFile, nameFromFile, parseAnswer } from "./upload.ts";

const GiB = 1024 ** 3;

describe("checkFile", () => {
  it("accepts ONNX and GGUF files by name, in any case", () => {
    assert.equal(checkFile({ name: "model.onnx", size: 10 }, 64 * GiB), null);
    assert.equal(checkFile({ name: "Llama.Q4_K_M.GGUF", size: 5 * GiB }, 64 * GiB), null);
  });
  it("refuses other formats, empty files and files over the limit with a clear message", () => {
    assert.match(checkFile({ name: "weights.pt", size: 10 }, 64 * GiB) ?? "", /ONNX.*GGUF/);
    assert.match(checkFile({ name: "a.onnx", size: 0 }, 64 * GiB) ?? "", /empty/);
    assert.match(checkFile({ name: "a.gguf", size: 65 * GiB }, 64 * GiB) ?? "", /larger/);
  });
});

describe("parseAnswer", () => {
  it("reads a success", () => {
    assert.deepEqual(parseAnswer(200, JSON.stringify({ ok: true, data: { modelId: "m1", versionId: "v1" } })), {
      ok: true,
      data: { modelId: "m1", versionId: "v1" },
    });
  });
  it("passes the server's coded error on to the person", () => {
    const answer = parseAnswer(
      400,
      JSON.stringify({ ok: false, error: { code: "INVALID_MODEL", message: "This is not an ONNX model." } }),
    );
    assert.deepEqual(answer, { ok: false, error: { code: "INVALID_MODEL", message: "This is not an ONNX model." } });
  });
  it("turns a body that is not the server's JSON into a plain message, never the raw body", () => {
    const html = parseAnswer(502, "<html><body>Bad gateway</body></html>");
    assert.equal(html.ok, false);
    assert.equal(html.ok === false && html.error.message.includes("<html>"), false);
    assert.match(html.ok === false ? html.error.message : "", /HTTP 502/);
    assert.match(
      parseAnswer(413, "").ok === false ? (parseAnswer(413, "") as { error: { message: string } }).error.message : "",
      /larger/,
    );
    assert.match((parseAnswer(401, "") as { error: { message: string } }).error.message, /Sign in/);
  });
  it("does not take a half-formed success for one", () => {
    assert.equal(parseAnswer(200, JSON.stringify({ ok: true, data: { modelId: 5 } })).ok, false);
  });
});

describe("nameFromFile", () => {
  it("drops the extension", () => {
    assert.equal(nameFromFile("resnet50-int8.onnx"), "resnet50-int8");
    assert.equal(nameFromFile("tiny.GGUF"), "tiny");
  });
});
