"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { AlignedData } from "uplot";
import { cx } from "@/components/ui/cx";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { CHART_COLORS, type ChartAxis, type ChartSeries, TimeChart } from "./time-chart";

const RANGES = [
  { id: "hour", label: "Hour" },
  { id: "day", label: "Day" },
  { id: "week", label: "Week" },
  { id: "month", label: "Month" },
] as const;
type Range = (typeof RANGES)[number]["id"];

type History = RouterOutputs["device"]["history"];
type Point = History["points"][number];
type PointPick = (p: Point) => number | null;

const P = CHART_COLORS.palette;
const f = (unit: string, digits: number) => (v: number) => `${v.toFixed(digits)}${unit}`;

interface HistorySeries extends ChartSeries {
  pick: PointPick;
}

const LOAD: HistorySeries[] = [
  {
    label: "CPU avg",
    scale: "pct",
    color: P[0],
    fill: "rgba(3,105,161,0.08)",
    pick: (p) => p.cpuLoadAvg,
    format: f("%", 1),
  },
  { label: "CPU max", scale: "pct", color: P[0], dash: [4, 3], width: 1, pick: (p) => p.cpuLoadMax, format: f("%", 0) },
  {
    label: "Memory",
    scale: "pct",
    color: P[1],
    pick: (p) => (p.memTotal > 0 ? (p.memUsedAvg / p.memTotal) * 100 : null),
    format: f("%", 1),
  },
  {
    label: "Throttled",
    scale: "pct",
    color: P[3],
    fill: "rgba(220,38,38,0.10)",
    pick: (p) => (p.throttledShare == null ? null : p.throttledShare * 100),
    format: f("% of time", 0),
  },
];
const THERMAL: HistorySeries[] = [
  { label: "CPU temp avg", scale: "c", color: P[2], pick: (p) => p.cpuTempAvg, format: f(" °C", 0) },
  {
    label: "CPU temp max",
    scale: "c",
    color: P[2],
    dash: [4, 3],
    width: 1,
    pick: (p) => p.cpuTempMax,
    format: f(" °C", 0),
  },
  { label: "Power avg", scale: "w", color: P[5], pick: (p) => p.powerAvgW, format: f(" W", 1) },
];
const PCT_AXIS: ChartAxis = { scale: "pct", side: "left", range: [0, 100], size: 48, format: (v) => `${v}%` };
const THERMAL_AXES: ChartAxis[] = [
  { scale: "c", side: "left", format: (v) => `${v} °C`, range: (min, max) => [Math.min(20, min), Math.max(100, max)] },
  { scale: "w", side: "right", format: (v) => `${v} W`, range: (_min, max) => [0, Math.max(10, max * 1.1)] },
];

/** Columns for uPlot; a missing bucket (the device was off) becomes a null row so the line breaks there. */
export function historyColumns(points: readonly Point[], bucketS: number, picks: readonly PointPick[]): AlignedData {
  const xs: number[] = [];
  const cols: (number | null)[][] = picks.map(() => []);
  let prev: number | null = null;
  for (const p of points) {
    const t = p.ts.getTime() / 1000;
    if (prev !== null && t - prev > bucketS * 1.5) {
      xs.push(prev + bucketS);
      for (const c of cols) c.push(null);
    }
    xs.push(t);
    picks.forEach((pick, i) => {
      cols[i]?.push(pick(p));
    });
    prev = t;
  }
  return [xs, ...cols];
}

function HistoryChart({
  history,
  series,
  axes,
  id,
  caption,
}: {
  history: History;
  series: HistorySeries[];
  axes: ChartAxis[];
  id: string;
  caption: string;
}) {
  const present = useMemo(() => series.filter((s) => history.points.some((p) => s.pick(p) != null)), [series, history]);
  const data = useMemo(
    () =>
      historyColumns(
        history.points,
        history.bucketS,
        present.map((s) => s.pick),
      ),
    [history, present],
  );
  const usedAxes = axes.filter((a) => present.some((s) => s.scale === a.scale));
  if (present.length === 0) return null;
  return <TimeChart data={data} series={present} axes={usedAxes} testId={`history-${id}`} caption={caption} />;
}

/** Roll-ups over the last hour, day, week or month (at most ~360 points each), refreshed every minute. */
export function HistoryCharts({ deviceId }: { deviceId: string }) {
  const [range, setRange] = useState<Range>("hour");
  const trpc = useTRPC();
  const history = useQuery({
    ...trpc.device.history.queryOptions({ id: deviceId, range }),
    refetchInterval: 60_000,
  });
  const tabs = (
    <div className="flex gap-1" role="tablist" aria-label="History range">
      {RANGES.map((r) => (
        <button
          key={r.id}
          type="button"
          role="tab"
          aria-selected={range === r.id}
          onClick={() => setRange(r.id)}
          className={cx(
            "rounded px-2 py-0.5 text-xs",
            range === r.id ? "bg-slate-800 text-white" : "text-slate-600 hover:bg-slate-100",
          )}
        >
          {r.label}
        </button>
      ))}
    </div>
  );
  const data = history.data;
  const hasThermal = data?.points.some((p) => p.cpuTempAvg != null || p.powerAvgW != null) ?? false;
  return (
    <Card title="History" actions={tabs}>
      {history.error ? (
        <ErrorNotice>{errorMessage(history.error)}</ErrorNotice>
      ) : !data ? (
        <Loading label="Loading history…" />
      ) : data.points.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="history-empty">
          No history for this range yet: roll-ups appear a few seconds after the first samples.
        </p>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <HistoryChart
            id="load"
            history={data}
            series={LOAD}
            axes={[PCT_AXIS]}
            caption={`CPU, memory and throttling over the last ${range}.`}
          />
          {hasThermal ? (
            <HistoryChart
              id="thermal"
              history={data}
              series={THERMAL}
              axes={THERMAL_AXES}
              caption={`CPU temperature and power over the last ${range}.`}
            />
          ) : (
            <p className="text-sm text-slate-500">Temperature and power: not exposed by this device.</p>
          )}
        </div>
      )}
    </Card>
  );
}
