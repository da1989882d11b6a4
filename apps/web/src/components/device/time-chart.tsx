"use client";

import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";

export const CHART_COLORS = {
  grid: "#e2e8f0",
  axis: "#64748b",
  palette: ["#0369a1", "#7c3aed", "#ea580c", "#dc2626", "#059669", "#ca8a04", "#db2777", "#475569"],
} as const;

export interface ChartSeries {
  label: string;
  /** Which axis it is drawn against; one of the chart's `axes[].scale`. */
  scale: string;
  color: string;
  /** Legend value formatter. */
  format: (v: number) => string;
  fill?: string;
  width?: number;
  dash?: number[];
  /** Drawn as steps (an on/off state such as throttling). */
  stepped?: boolean;
}

export interface ChartAxis {
  scale: string;
  side: "left" | "right";
  format: (v: number) => string;
  /** Fixed range; otherwise the data decides. */
  range?: [number, number] | ((min: number, max: number) => [number, number]);
  size?: number;
  /** An axis that needs no labels (a 0–1 state shaded under the other series). */
  hidden?: boolean;
}

const hhmm = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** Whole minutes as "14:05", the ticks between as ":30": one line, no repeated dates in a live window. */
function liveTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((s) => {
    const sec = Math.round(s) % 60;
    return sec === 0 ? hhmm.format(s * 1000) : `:${String(sec).padStart(2, "0")}`;
  });
}

function makeOptions(
  width: number,
  height: number,
  series: readonly ChartSeries[],
  axes: readonly ChartAxis[],
  windowS: number | null,
  legend: boolean,
): Options {
  const axisStyle = {
    stroke: CHART_COLORS.axis,
    grid: { stroke: CHART_COLORS.grid, width: 1 },
    ticks: { stroke: CHART_COLORS.grid, width: 1 },
  };
  const scales: Options["scales"] = {
    x: {
      time: true,
      // A live window always ends at the newest sample, so the chart scrolls rather than rescales.
      ...(windowS
        ? {
            range: (_u: uPlot, _min: number, max: number): [number, number] => {
              const end = Number.isFinite(max) ? max : Date.now() / 1000;
              return [end - windowS, end];
            },
          }
        : {}),
    },
  };
  for (const a of axes) {
    const r = a.range;
    scales[a.scale] = r
      ? { range: typeof r === "function" ? (_u: uPlot, min: number, max: number) => r(min, max) : r }
      : {};
  }
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const hasRight = axes.some((a) => a.side === "right" && !a.hidden);
  return {
    width,
    height,
    padding: [8, hasRight ? 0 : 28, 0, 0],
    scales,
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        scale: s.scale,
        stroke: s.color,
        width: s.width ?? 1.5,
        ...(s.fill ? { fill: s.fill } : {}),
        ...(s.dash ? { dash: s.dash } : {}),
        ...(s.stepped && stepped ? { paths: stepped } : {}),
        value: (_u: uPlot, v: number | null) => (v == null ? "—" : s.format(v)),
      })),
    ],
    axes: [
      { ...axisStyle, space: 50, ...(windowS ? { values: liveTicks } : {}) },
      ...axes.map((a) => ({
        ...axisStyle,
        scale: a.scale,
        side: a.side === "right" ? 1 : 3,
        size: a.hidden ? 0 : (a.size ?? 56),
        show: !a.hidden,
        ...(a.side === "right" ? { grid: { show: false } } : {}),
        values: (_u: uPlot, vals: number[]) => vals.map((v) => a.format(v)),
      })),
    ],
    legend: { show: legend, live: true },
    cursor: { points: { size: 6 } },
  };
}

/**
 * One uPlot time chart. The instance lives as long as the component and its series set; new data only calls
 * `setData`, which is what keeps a page of charts cheap at one update a second.
 */
export function TimeChart({
  data,
  series,
  axes,
  windowS = null,
  height = 200,
  legend = true,
  testId,
  caption,
}: {
  /** Columns: time in seconds, then one column per series. */
  data: AlignedData;
  series: readonly ChartSeries[];
  axes: readonly ChartAxis[];
  windowS?: number | null;
  height?: number;
  legend?: boolean;
  testId?: string;
  caption: string;
}) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;
  // Rebuild only when what is drawn changes (a series appears), not on every new sample.
  const shape = useMemo(
    () => JSON.stringify([series.map((s) => [s.label, s.scale]), axes.map((a) => a.scale), windowS, height, legend]),
    [series, axes, windowS, height, legend],
  );
  const optsRef = useRef({ series, axes });
  optsRef.current = { series, axes };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for series and axes, which are read through a ref.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const { series: s, axes: a } = optsRef.current;
    const plot = new uPlot(
      makeOptions(container.clientWidth || 600, height, s, a, windowS, legend),
      dataRef.current,
      container,
    );
    plotRef.current = plot;
    const observer = new ResizeObserver(() => {
      const width = container.clientWidth;
      if (width > 0 && width !== plot.width) plot.setSize({ width, height });
    });
    observer.observe(container);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plotRef.current?.setData(data);
  }, [data]);

  return (
    <figure>
      <div ref={containerRef} className="w-full" data-testid={testId} />
      <figcaption className="sr-only">{caption}</figcaption>
    </figure>
  );
}
