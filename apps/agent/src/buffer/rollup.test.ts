import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { telemetrySampleSchema } from "@labfleet/protocol";
import { ROLLUP_WINDOW_MS, RollupWindow, rollUp } from "./rollup.ts";
import { testSample } from "./test-helpers.ts";

describe("10 s roll-ups of offline telemetry", () => {
  test("averages loads and memory, keeps the max temperature and the last counters, counts the samples", () => {
    const r = rollUp([
      testSample(1, { cpuLoadPct: 10, cpuPerCorePct: [0, 20], memUsedBytes: 1001, cpuTempC: 50, throttling: false }),
      testSample(2, { cpuLoadPct: 20, cpuPerCorePct: [10, 30], memUsedBytes: 1002, cpuTempC: 80, throttling: true }),
      testSample(3, { cpuLoadPct: 60, cpuPerCorePct: [20, 40], memUsedBytes: 1004, cpuTempC: 60, throttling: false }),
    ]);
    assert.ok(telemetrySampleSchema.safeParse(r).success, "a roll-up is a valid sample");
    assert.equal(r.cpuLoadPct, 30);
    assert.deepEqual(r.cpuPerCorePct, [10, 30]);
    assert.equal(r.memUsedBytes, 1002, "bytes stay integers");
    assert.equal(r.cpuTempC, 80, "temperatures keep the window's max");
    assert.equal(r.throttling, true, "throttling if any sample throttled");
    assert.equal(r.uptimeS, 103, "counters keep the last value");
    assert.equal(r.ts, testSample(3).ts, "the last sample's time");
    assert.equal(r.aggregatedCount, 3);
  });

  test("unknown values stay unknown; a partly known value averages what is known", () => {
    const r = rollUp([testSample(1, { powerW: null, cpuTempC: null }), testSample(2, { powerW: 10, cpuTempC: null })]);
    assert.equal(r.cpuTempC, null);
    assert.equal(r.powerW, 10, "the nulls are not averaged in as if they were 0");
    assert.equal(rollUp([testSample(1, { powerW: 8 }), testSample(2, { powerW: 12 })]).powerW, 10);
  });

  test("a window hands out its roll-up when the next window starts, and flush() ends the partial one", () => {
    const w = new RollupWindow();
    const base = Math.ceil(1_764_000_000_000 / ROLLUP_WINDOW_MS) * ROLLUP_WINDOW_MS;
    const at = (ms: number, load: number) => testSample(1, { ts: base + ms, cpuLoadPct: load });
    assert.equal(w.add(at(0, 10)), null);
    assert.equal(w.add(at(5_000, 30)), null);
    const first = w.add(at(10_000, 50));
    assert.equal(first?.cpuLoadPct, 20);
    assert.equal(first?.aggregatedCount, 2);
    assert.equal(w.add(at(19_999, 70)), null);
    const partial = w.flush();
    assert.equal(partial?.cpuLoadPct, 60);
    assert.equal(partial?.aggregatedCount, 2);
    assert.equal(w.flush(), null);
  });
});
