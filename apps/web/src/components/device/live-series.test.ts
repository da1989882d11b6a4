import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type TelemetrySample, telemetrySampleSchema } from "@labfleet/protocol";
import { hasData, pct, toColumns, widths } from "./live-series.ts";

const sample = (ts: number, extra: Record<string, unknown> = {}): TelemetrySample =>
  telemetrySampleSchema.parse({
    ts,
    cpuLoadPct: 10,
    cpuPerCorePct: [5, 15],
    loadAvg1: null,
    memTotalBytes: 100,
    memUsedBytes: 25,
    memAvailableBytes: 75,
    cpuTempC: null,
    uptimeS: null,
    ...extra,
  });

const T = 1_800_000_000_000;

describe("live chart columns", () => {
  it("turns samples into uPlot columns in seconds and breaks the line over a long hole", () => {
    const samples = [sample(T), sample(T + 1000, { cpuLoadPct: 20 }), sample(T + 61_000, { cpuLoadPct: 30 })];
    const [xs, cpu] = toColumns(samples, [(s) => s.cpuLoadPct]);
    assert.deepEqual(xs, [T / 1000, T / 1000 + 1, (T + 1001) / 1000, T / 1000 + 61]);
    assert.deepEqual(cpu, [10, 20, null, 30]);
  });

  it("says a series has no data when the device never exposed it, and sizes per-core and GPU series", () => {
    const samples = [
      sample(T),
      sample(T + 1000, {
        powerW: 12.5,
        gpus: [{ index: 0, name: "g", utilPct: 4, memUsedBytes: null, memTotalBytes: null, tempC: null, powerW: null }],
      }),
    ];
    assert.equal(
      hasData(samples, (s) => s.cpuTempC),
      false,
    );
    assert.equal(
      hasData(samples, (s) => s.powerW),
      true,
    );
    assert.deepEqual(widths(samples), { cores: 2, gpus: 1 });
    assert.equal(pct(25, 100), 25);
    assert.equal(pct(null, 100), null);
    assert.equal(pct(5, 0), null);
  });
});
