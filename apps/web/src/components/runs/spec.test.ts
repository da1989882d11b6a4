import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runSpecSchema } from "@labfleet/protocol";
import { defaultSpec, parseSpec } from "./spec.ts";

describe("parseSpec", () => {
  it("turns the default benchmark form into a spec the server accepts", () => {
    const { spec, error } = parseSpec(defaultSpec("benchmark"));
    assert.equal(error, null);
    const parsed = runSpecSchema.parse(spec);
    assert.equal(parsed.kind, "benchmark");
    assert.equal(parsed.iterations, 20);
    assert.equal(parsed.warmup, 3);
    assert.equal(parsed.timeoutMs, 600_000);
    assert.equal(parsed.threads, undefined, "an empty threads field leaves the runtime's default");
  });

  it("accepts an evaluation with no iterations", () => {
    const { spec } = parseSpec(defaultSpec("evaluation"));
    assert.equal(runSpecSchema.safeParse(spec).success, true);
  });

  it("converts a duration in seconds and keeps every field within the server's bounds", () => {
    const { spec } = parseSpec({
      ...defaultSpec("benchmark"),
      iterations: "",
      durationS: "30",
      threads: "2",
      batchSize: "8",
    });
    const parsed = runSpecSchema.parse(spec);
    assert.equal(parsed.durationMs, 30_000);
    assert.equal(parsed.iterations, undefined);
    assert.equal(parsed.threads, 2);
    assert.equal(parsed.batchSize, 8);
  });

  it("refuses a benchmark with neither iterations nor a duration, as the server would", () => {
    const draft = { ...defaultSpec("benchmark"), iterations: "", durationS: "" };
    assert.match(parseSpec(draft).error ?? "", /iterations, a duration/);
    assert.equal(runSpecSchema.safeParse({ kind: "benchmark" }).success, false);
  });

  it("refuses numbers out of range or not whole with a message naming the field", () => {
    assert.match(parseSpec({ ...defaultSpec("benchmark"), batchSize: "0" }).error ?? "", /Batch size/);
    assert.match(parseSpec({ ...defaultSpec("benchmark"), iterations: "2.5" }).error ?? "", /Iterations/);
    assert.match(parseSpec({ ...defaultSpec("benchmark"), warmup: "-1" }).error ?? "", /Warm-up/);
    assert.match(parseSpec({ ...defaultSpec("benchmark"), timeoutS: "99999" }).error ?? "", /time limit/);
    assert.match(parseSpec({ ...defaultSpec("benchmark"), executionProvider: "CUDA!" }).error ?? "", /provider/);
  });
});

describe("parseSpec for a language model (node-llama-cpp)", () => {
  it("sends the token counts instead of a batch size", () => {
    const { spec, error } = parseSpec(
      { ...defaultSpec("benchmark"), batchSize: "8", promptTokens: "64", generateTokens: "128" },
      "node-llama-cpp",
    );
    assert.equal(error, null);
    const parsed = runSpecSchema.parse(spec);
    assert.equal(parsed.promptTokens, 64);
    assert.equal(parsed.generateTokens, 128);
    assert.equal(spec?.batchSize, undefined, "a language model has no batch: the form's batch size is not sent");
  });

  it("keeps the counts within the server's bounds, and empty leaves the agent's defaults", () => {
    const over = parseSpec({ ...defaultSpec("benchmark"), promptTokens: "40000" }, "node-llama-cpp");
    assert.equal(over.spec, null);
    assert.match(over.error ?? "", /Prompt tokens/);
    const zero = parseSpec({ ...defaultSpec("benchmark"), generateTokens: "0" }, "node-llama-cpp");
    assert.match(zero.error ?? "", /Tokens to generate/);
    const empty = parseSpec({ ...defaultSpec("benchmark"), promptTokens: "", generateTokens: "" }, "node-llama-cpp");
    assert.equal(empty.error, null);
    assert.equal(empty.spec?.promptTokens, undefined);
    assert.equal(empty.spec?.generateTokens, undefined);
  });

  it("never sends token counts for another runtime, even when the draft holds them", () => {
    const { spec } = parseSpec({ ...defaultSpec("benchmark"), promptTokens: "64" }, "onnxruntime-node");
    assert.equal(spec?.promptTokens, undefined);
    assert.equal(spec?.batchSize, 1);
  });
});
