"use client";

import type { TelemetrySample } from "@labfleet/protocol";
import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import { LIVE_WINDOW_MS } from "@/lib/socket";

const HEIGHT = 260;
/**
 * A hole longer than this (a reboot, a network cut) is drawn as a gap, not a straight line across it.
 * Unwatched devices report every ~10 s, so history from before the page opened must still join up.
 */
const GAP_MS = 30_000;
const WINDOW_S = LIVE_WINDOW_MS / 1000;

const COLORS = { cpu: "#0369a1", mem: "#7c3aed", temp: "#ea580c", grid: "#e2e8f0", axis: "#64748b" };

/** Columns for uPlot: time in seconds, CPU %, memory %, and CPU °C when the device has a sensor. */
function toSeries(samples: readonly TelemetrySample[], withTemp: boolean): AlignedData {
  const xs: number[] = [];
  const cpu: (number | null)[] = [];
  const mem: (number | null)[] = [];
  const temp: (number | null)[] = [];
  let prevTs: number | null = null;
  for (const s of samples) {
    if (prevTs !== null && s.ts - prevTs > GAP_MS) {
      xs.push((prevTs + 1) / 1000);
      cpu.push(null);
      mem.push(null);
      temp.push(null);
    }
    xs.push(s.ts / 1000);
    cpu.push(s.cpuLoadPct);
    mem.push(s.memTotalBytes > 0 ? (s.memUsedBytes / s.memTotalBytes) * 100 : null);
    temp.push(s.cpuTempC);
    prevTs = s.ts;
  }
  return withTemp ? [xs, cpu, mem, temp] : [xs, cpu, mem];
}

const fmt = (unit: string, digits: number) => (_u: uPlot, v: number | null) =>
  v == null ? "—" : `${v.toFixed(digits)}${unit}`;

const hhmm = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** Whole minutes as "14:05", the ticks between as ":30": one line, no repeated dates in a five-minute window. */
function timeTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((s) => {
    const sec = Math.round(s) % 60;
    return sec === 0 ? hhmm.format(s * 1000) : `:${String(sec).padStart(2, "0")}`;
  });
}

function makeOptions(width: number, hasTemp: boolean): Options {
  const axisStyle = {
    stroke: COLORS.axis,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1 },
  };
  return {
    width,
    height: HEIGHT,
    // Room on the right for the last time label when there is no temperature axis there.
    padding: [8, hasTemp ? 0 : 28, 0, 0],
    // Always the last five minutes ending at the newest sample, so the chart scrolls rather than rescales.
    scales: {
      x: {
        time: true,
        range: (_u, _min, max) => {
          const end = Number.isFinite(max) ? max : Date.now() / 1000;
          return [end - WINDOW_S, end];
        },
      },
      pct: { range: [0, 100] },
      temp: {
        range: (_u, min, max) => [Math.min(20, Math.floor(min / 10) * 10), Math.max(100, Math.ceil(max / 10) * 10)],
      },
    },
    series: [
      {},
      { label: "CPU", scale: "pct", stroke: COLORS.cpu, fill: "rgba(3,105,161,0.08)", width: 1.5, value: fmt("%", 1) },
      { label: "Memory", scale: "pct", stroke: COLORS.mem, width: 1.5, value: fmt("%", 1) },
      ...(hasTemp ? [{ label: "CPU temp", scale: "temp", stroke: COLORS.temp, width: 1.5, value: fmt(" °C", 0) }] : []),
    ],
    axes: [
      { ...axisStyle, values: timeTicks, space: 50 },
      { ...axisStyle, scale: "pct", size: 48, values: (_u, vals) => vals.map((v) => `${v}%`) },
      ...(hasTemp
        ? [
            {
              ...axisStyle,
              scale: "temp",
              side: 1,
              size: 56,
              grid: { show: false },
              values: (_u: uPlot, vals: number[]) => vals.map((v) => `${v} °C`),
            },
          ]
        : []),
    ],
    legend: { live: true },
    cursor: { points: { size: 6 } },
  };
}

/**
 * CPU and memory in percent on the left axis; CPU temperature on a right axis, only when the device has a sensor.
 * The uPlot instance lives as long as the component; new samples only call `setData`.
 */
export function LiveChart({ samples }: { samples: readonly TelemetrySample[] }) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const hasTemp = useMemo(() => samples.some((s) => s.cpuTempC != null), [samples]);
  const data = useMemo(() => toSeries(samples, hasTemp), [samples, hasTemp]);
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const plot = new uPlot(makeOptions(container.clientWidth || 600, hasTemp), dataRef.current, container);
    plotRef.current = plot;
    const observer = new ResizeObserver(() => {
      const width = container.clientWidth;
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: HEIGHT });
    });
    observer.observe(container);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [hasTemp]);

  useEffect(() => {
    plotRef.current?.setData(data);
  }, [data]);

  return (
    <figure>
      <div ref={containerRef} className="w-full" data-testid="live-chart" />
      <figcaption className="sr-only">
        CPU load, memory use{hasTemp ? " and CPU temperature" : ""} over the last five minutes, updated every second.
      </figcaption>
      {samples.length === 0 && <p className="py-2 text-sm text-slate-500">Waiting for the first samples…</p>}
    </figure>
  );
}
