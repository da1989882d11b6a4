"use client";

import type { TelemetrySample } from "@labfleet/protocol";
import { useMemo } from "react";
import { LIVE_WINDOW_MS } from "@/lib/socket";
import { hasData, pct, toColumns } from "./live-series";
import { type ChartAxis, type ChartSeries, TimeChart } from "./time-chart";

const HEIGHT = 260;
const WINDOW_S = LIVE_WINDOW_MS / 1000;
const COLORS = { cpu: "#0369a1", mem: "#7c3aed", temp: "#ea580c" };

const fmt = (unit: string, digits: number) => (v: number) => `${v.toFixed(digits)}${unit}`;

const BASE_SERIES: ChartSeries[] = [
  { label: "CPU", scale: "pct", color: COLORS.cpu, fill: "rgba(3,105,161,0.08)", format: fmt("%", 1) },
  { label: "Memory", scale: "pct", color: COLORS.mem, format: fmt("%", 1) },
];
const TEMP_SERIES: ChartSeries = { label: "CPU temp", scale: "temp", color: COLORS.temp, format: fmt(" °C", 0) };

const PCT_AXIS: ChartAxis = { scale: "pct", side: "left", range: [0, 100], size: 48, format: (v) => `${v}%` };
const TEMP_AXIS: ChartAxis = {
  scale: "temp",
  side: "right",
  range: (min, max) => [Math.min(20, Math.floor(min / 10) * 10), Math.max(100, Math.ceil(max / 10) * 10)],
  format: (v) => `${v} °C`,
};

/**
 * The overview: CPU and memory in percent on the left axis; CPU temperature on a right axis, only when the
 * device has a sensor. The detailed charts are in LiveCharts.
 */
export function LiveChart({ samples }: { samples: readonly TelemetrySample[] }) {
  const hasTemp = useMemo(() => hasData(samples, (s) => s.cpuTempC), [samples]);
  const data = useMemo(
    () =>
      toColumns(samples, [
        (s) => s.cpuLoadPct,
        (s) => pct(s.memUsedBytes, s.memTotalBytes),
        ...(hasTemp ? [(s: TelemetrySample) => s.cpuTempC] : []),
      ]),
    [samples, hasTemp],
  );
  return (
    <>
      <TimeChart
        data={data}
        series={hasTemp ? [...BASE_SERIES, TEMP_SERIES] : BASE_SERIES}
        axes={hasTemp ? [PCT_AXIS, TEMP_AXIS] : [PCT_AXIS]}
        windowS={WINDOW_S}
        height={HEIGHT}
        testId="live-chart"
        caption={`CPU load, memory use${hasTemp ? " and CPU temperature" : ""} over the last five minutes, updated every second.`}
      />
      {samples.length === 0 && <p className="py-2 text-sm text-slate-500">Waiting for the first samples…</p>}
    </>
  );
}
