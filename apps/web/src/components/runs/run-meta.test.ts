import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GroupRun } from "../models/api-types.ts";
import {
  describeProgress,
  explainFlags,
  formatAccuracy,
  formatMs,
  formatThroughput,
  progressPercent,
} from "./run-meta.ts";

describe("run display helpers", () => {
  it("shows a missing value as a dash, never as zero", () => {
    assert.equal(formatMs(null), "—");
    assert.equal(formatThroughput(null), "—");
    assert.equal(formatAccuracy(null), "—");
    assert.equal(formatAccuracy(0), "0.0%");
  });

  it("formats latency with a precision that suits its size", () => {
    assert.equal(formatMs(0.234), "0.23 ms");
    assert.equal(formatMs(12.34), "12.3 ms");
    assert.equal(formatMs(220.4), "220 ms");
    assert.equal(formatMs(1_500), "1.50 s");
  });

  it("describes progress by count, or by time when the run is bounded by a duration", () => {
    const counted = { runId: "r", phase: "measuring" as const, done: 5, total: 20, elapsedMs: 1_000 };
    assert.equal(describeProgress(counted), "Measuring 5 / 20");
    assert.equal(progressPercent(counted), 25);
    const timed = { runId: "r", phase: "measuring" as const, done: 7, total: null, elapsedMs: 3_000 };
    assert.match(describeProgress(timed), /Measuring · 7 done · 3\.0 s/);
    assert.equal(progressPercent(timed, 12_000), 25);
    assert.equal(progressPercent(timed), null);
  });
});

describe("explainFlags", () => {
  const run = (flags: GroupRun["flags"], system: Partial<NonNullable<GroupRun["system"]>> | null) =>
    ({ flags, system }) as unknown as GroupRun;

  it("says nothing about a seat that neither throttled nor ran hot", () => {
    assert.equal(explainFlags(run({ throttled: false, hot: false }, { throttledShare: 0, cpuTempCMax: 60 })), null);
  });

  it("explains a slow seat with how long it throttled and how hot it ran", () => {
    const why = explainFlags(run({ throttled: true, hot: true }, { throttledShare: 0.42, cpuTempCMax: 97 }));
    assert.match(why ?? "", /throttled for 42% of the run/);
    assert.match(why ?? "", /up to 97 °C/);
  });

  it("still flags the seat when the figures behind the flag are missing", () => {
    assert.match(explainFlags(run({ throttled: true, hot: false }, null)) ?? "", /throttled during the run/);
  });
});
