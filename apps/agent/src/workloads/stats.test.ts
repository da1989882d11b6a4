import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type TelemetrySample, telemetrySampleSchema } from "@labfleet/protocol";
import { ProgressRelay } from "./progress-relay.ts";
import { latencyStats, systemStats } from "./stats.ts";
import { concreteShape, seededRandom } from "./tasks/inputs.ts";
import { workloadNodeArgs } from "./workload-process.ts";

function sample(over: Partial<TelemetrySample>): TelemetrySample {
  return telemetrySampleSchema.parse({
    ts: 1_764_000_000_000,
    cpuLoadPct: 0,
    cpuPerCorePct: [],
    loadAvg1: null,
    memTotalBytes: 1,
    memUsedBytes: 1,
    memAvailableBytes: 1,
    cpuTempC: null,
    uptimeS: null,
    ...over,
  });
}

describe("latency statistics", () => {
  test("nearest-rank percentiles over 1..100 ms", () => {
    const s = latencyStats(Array.from({ length: 100 }, (_, i) => 100 - i));
    assert.deepEqual(s, { count: 100, mean: 50.5, p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
  });
  test("one value, and none", () => {
    assert.deepEqual(latencyStats([3]), { count: 1, mean: 3, p50: 3, p90: 3, p95: 3, p99: 3, max: 3 });
    assert.equal(latencyStats([]), null);
  });
});

describe("system statistics", () => {
  test("means, maxima and the throttled share; energy per item from mean power", () => {
    const s = systemStats(
      [
        sample({ cpuLoadPct: 40, cpuTempC: 55, cpuFreqMHz: 1_000, throttling: false, powerW: 10 }),
        sample({ cpuLoadPct: 60, cpuTempC: 70, cpuFreqMHz: 3_000, throttling: true, powerW: 20 }),
        sample({ cpuLoadPct: 80, cpuTempC: null, cpuFreqMHz: null, throttling: true, powerW: null }),
      ],
      2_000,
      60,
    );
    assert.deepEqual(s, {
      cpuLoadPctMean: 60,
      cpuTempCMax: 70,
      freqMHzMean: 2_000,
      freqMHzMax: 3_000,
      throttledShare: 2 / 3,
      powerWMean: 15,
      // 15 W × 2 s / 60 items
      energyJPerInference: 0.5,
    });
  });
  test("null where no sample carries the value, never 0", () => {
    const s = systemStats([sample({ cpuLoadPct: 10 })], 1_000, 10);
    assert.equal(s.cpuLoadPctMean, 10);
    for (const k of [
      "cpuTempCMax",
      "freqMHzMean",
      "freqMHzMax",
      "throttledShare",
      "powerWMean",
      "energyJPerInference",
    ]) {
      assert.equal(s[k as keyof typeof s], null, k);
    }
    assert.equal(systemStats([], 1_000, 10).cpuLoadPctMean, null);
  });
});

describe("progress relay", () => {
  test("at most one per gap, and the latest value always goes out", async () => {
    const sent: number[] = [];
    const relay = new ProgressRelay((p) => sent.push(p.done), 300);
    const p = (done: number) => ({ runId: "r", phase: "measuring" as const, done, total: null, elapsedMs: 0 });
    for (let i = 1; i <= 50; i++) relay.push(p(i));
    assert.deepEqual(sent, [1]);
    for (let i = 0; i < 100 && sent.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sent, [1, 50]);
    // Within the gap after 50: held back, then dropped by close().
    relay.push(p(51));
    relay.close();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sent, [1, 50]);
  });
});

describe("workload inputs and flags", () => {
  test("the first symbolic dimension is the batch, the others 1", () => {
    assert.deepEqual(concreteShape(["N", 3, 48, "W"], 4), [4, 3, 48, 1]);
    assert.deepEqual(concreteShape([2, "batch", 128], 8), [2, 8, 128]);
    assert.deepEqual(concreteShape([1, 4], 8), [1, 4]);
  });
  test("the seeded generator repeats for a seed and stays in [0, 1)", () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notEqual(seededRandom(2)(), xs[0]);
  });
  test("the child runs without the agent's interpreter-only flags", () => {
    assert.deepEqual(workloadNodeArgs(["--no-opt", "--no-sparkplug", "--import", "tsx", "--inspect=9229"]), [
      "--import",
      "tsx",
    ]);
  });
});
