import assert from "node:assert/strict";
import { test } from "node:test";
import { findUnstorableText } from "./text.ts";

test("finds NUL characters and lone surrogates anywhere in an input, and names where", () => {
  assert.equal(findUnstorableText({ name: "Zoë 😀", tags: ["a", "b"], n: 1, none: null }), null);
  assert.equal(findUnstorableText("a\u0000b"), "input");
  assert.equal(findUnstorableText({ samples: [{}, {}, {}, { label: "x\ud83d" }] }), "samples.3.label");
  assert.equal(findUnstorableText({ outer: { "bad\udc00key": 1 } }), "outer", "a broken key is not echoed");
  assert.equal(findUnstorableText(`${"😀".repeat(3)}`), null, "whole pairs are fine");
});

test("survives inputs nested 100,000 levels deep and cyclic objects", () => {
  let deep: unknown = "\u0000";
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.equal(findUnstorableText(deep), "a.a.a.a.a");
  const cyclic: Record<string, unknown> = { name: "ok" };
  cyclic.self = cyclic;
  assert.equal(findUnstorableText(cyclic), null);
});
