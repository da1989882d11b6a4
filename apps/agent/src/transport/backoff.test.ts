import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffDelayMs, DEFAULT_BACKOFF } from "./backoff.ts";

const fixed = (r: number) => () => r;

describe("backoffDelayMs", () => {
  test("doubles per attempt within [cap/2, cap]", () => {
    const caps = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    caps.forEach((cap, attempt) => {
      assert.equal(backoffDelayMs(attempt, fixed(0)), cap / 2, `attempt ${attempt} lower bound`);
      assert.equal(backoffDelayMs(attempt, fixed(0.999999)), cap, `attempt ${attempt} upper bound`);
    });
  });

  test("never above 30 s, even for absurd attempt numbers", () => {
    for (const attempt of [5, 10, 31, 32, 100, 1_000, 1e9, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
      const d = backoffDelayMs(attempt, fixed(0.999999));
      assert.ok(d <= DEFAULT_BACKOFF.maxMs && d >= DEFAULT_BACKOFF.maxMs / 2, `attempt ${attempt}: ${d}`);
    }
  });

  test("bad attempt numbers count as the first attempt", () => {
    for (const attempt of [-1, Number.NaN, -Infinity]) {
      assert.equal(backoffDelayMs(attempt, fixed(0)), 500);
    }
  });

  test("a random source out of range is clamped", () => {
    assert.equal(backoffDelayMs(0, fixed(-5)), 500);
    assert.equal(backoffDelayMs(0, fixed(7)), 1_000);
  });

  test("jitter: agents that lost the server together spread over the window", () => {
    const delays = Array.from({ length: 2_000 }, () => backoffDelayMs(4, Math.random));
    assert.ok(delays.every((d) => d >= 8_000 && d <= 16_000));
    const distinct = new Set(delays.map((d) => Math.floor(d / 1_000)));
    assert.ok(distinct.size >= 7, `delays fall in ${distinct.size} one-second buckets`);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(mean > 11_000 && mean < 13_000, `mean ${mean}`);
  });

  test("other bases and caps", () => {
    assert.equal(backoffDelayMs(3, fixed(0.5), { baseMs: 100, maxMs: 500 }), 375); // cap 500: 250 + 125
  });
});
