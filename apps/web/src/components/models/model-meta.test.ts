import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatShape, hasEvalSet, metaEntries, originBadge, shortSha } from "./model-meta.ts";

describe("model display helpers", () => {
  it("writes shapes with named and unknown dimensions", () => {
    assert.equal(formatShape(["N", 3, 48, "W"]), "N×3×48×W");
    assert.equal(formatShape([1, -1]), "1×?");
    assert.equal(formatShape([]), "scalar");
  });

  it("labels generated models, and says so when they are synthetic", () => {
    assert.match(originBadge({ origin: "generated", synthetic: true }).label, /synthetic/i);
    assert.doesNotMatch(originBadge({ origin: "generated", synthetic: false }).label, /synthetic/i);
    assert.match(originBadge({ origin: "bundled", synthetic: false }).label, /bundled/i);
  });

  it("spreads a GGUF's nested facts, hides what the io row shows, and skips empty values", () => {
    const entries = metaEntries({
      gguf: { architecture: "llama", contextLength: 2048 },
      inputs: [{ name: "x" }],
      evaluation: null,
      uploadedBy: "user-1",
      evaluationNote: "none",
    });
    assert.deepEqual(entries, [
      ["Architecture", "llama"],
      ["Context length", "2048"],
      ["Evaluation note", "none"],
    ]);
  });

  it("evaluates only versions that carry an evaluation set", () => {
    const file = (role: string) => ({ name: `${role}.bin`, role, sha256: "a".repeat(64), sizeBytes: 1 });
    assert.equal(hasEvalSet({ files: [file("det"), file("rec"), file("eval")] }), true);
    assert.equal(hasEvalSet({ files: [file("model")] }), false);
  });

  it("shortens a SHA-256 but keeps both ends", () => {
    const sha = "0123456789abcdef".repeat(4);
    assert.equal(shortSha(sha), "0123456789…abcdef");
  });
});
