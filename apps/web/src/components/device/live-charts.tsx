"use client";

import type { TelemetrySample } from "@labfleet/protocol";
import { useMemo } from "react";
import { Card } from "@/components/ui/notice";
import { formatBytes } from "@/lib/format";
import { LIVE_WINDOW_MS } from "@/lib/socket";
import { hasData, type Pick, pct, toColumns, widths } from "./live-series";
import { CHART_COLORS, type ChartAxis, type ChartSeries, TimeChart } from "./time-chart";

const WINDOW_S = LIVE_WINDOW_MS / 1000;
const P = CHART_COLORS.palette;

type LiveSeries = Omit<ChartSeries, "color"> & { pick: Pick; color?: string };

interface ChartDef {
  id: string;
  title: string;
  axes: ChartAxis[];
  series: LiveSeries[];
  legend?: boolean;
}

const pctAxis: ChartAxis = { scale: "pct", side: "left", range: [0, 100], size: 48, format: (v) => `${v}%` };
const f = (unit: string, digits: number) => (v: number) => `${v.toFixed(digits)}${unit}`;
const rate = (v: number) => `${formatBytes(v)}/s`;
const tempRange = (min: number, max: number): [number, number] => [
  Math.min(20, Math.floor(min / 10) * 10),
  Math.max(100, Math.ceil(max / 10) * 10),
];

/** Every chart the page can show; series without data are dropped and charts left empty are only named. */
function chartDefs(cores: number, gpus: number): ChartDef[] {
  return [
    {
      id: "cpu",
      title: "CPU",
      axes: [pctAxis],
      series: [
        {
          label: "Total",
          scale: "pct",
          pick: (s) => s.cpuLoadPct,
          format: f("%", 1),
          fill: "rgba(3,105,161,0.08)",
        },
      ],
    },
    {
      id: "cpu-cores",
      title: `CPU per core (${cores})`,
      axes: [pctAxis],
      legend: cores <= 8,
      series: Array.from({ length: cores }, (_, i) => ({
        label: `Core ${i}`,
        scale: "pct",
        pick: (s: TelemetrySample) => s.cpuPerCorePct[i],
        format: f("%", 0),
        width: 1,
        color: P[i % P.length],
      })),
    },
    {
      id: "memory",
      title: "Memory",
      axes: [pctAxis],
      series: [
        { label: "Memory", scale: "pct", pick: (s) => pct(s.memUsedBytes, s.memTotalBytes), format: f("%", 1) },
        { label: "Swap", scale: "pct", pick: (s) => pct(s.swapUsedBytes, s.swapTotalBytes), format: f("%", 1) },
      ],
    },
    {
      id: "temperature",
      title: "Temperatures",
      axes: [{ scale: "c", side: "left", range: tempRange, format: (v) => `${v} °C` }],
      series: [
        { label: "CPU package", scale: "c", pick: (s) => s.cpuTempC, format: f(" °C", 0) },
        { label: "Hottest sensor", scale: "c", pick: (s) => s.hottestTempC, format: f(" °C", 0), dash: [4, 3] },
      ],
    },
    {
      id: "frequency",
      title: "Frequency and throttling",
      axes: [
        {
          scale: "mhz",
          side: "left",
          format: (v) => `${(v / 1000).toFixed(1)} GHz`,
          size: 68,
          range: (_min, max) => [0, max],
        },
        { scale: "on", side: "right", range: [0, 1], hidden: true, format: String },
      ],
      series: [
        { label: "Frequency", scale: "mhz", pick: (s) => s.cpuFreqMHz, format: (v) => `${(v / 1000).toFixed(2)} GHz` },
        {
          label: "Max",
          scale: "mhz",
          pick: (s) => s.cpuFreqMaxMHz,
          format: (v) => `${(v / 1000).toFixed(2)} GHz`,
          dash: [4, 3],
          width: 1,
        },
        {
          label: "Throttling",
          scale: "on",
          pick: (s) => (s.throttling == null ? null : s.throttling ? 1 : 0),
          format: (v) => (v > 0 ? "yes" : "no"),
          color: "#dc2626",
          fill: "rgba(220,38,38,0.12)",
          width: 0,
          stepped: true,
        },
      ],
    },
    {
      id: "power",
      title: "Power",
      axes: [{ scale: "w", side: "left", format: (v) => `${v} W`, range: (_min, max) => [0, Math.max(10, max * 1.1)] }],
      series: [{ label: "Power", scale: "w", pick: (s) => s.powerW, format: f(" W", 1), fill: "rgba(202,138,4,0.08)" }],
    },
    {
      id: "gpu",
      title: "GPU",
      axes: [pctAxis],
      series: Array.from({ length: gpus }, (_, i) => [
        { label: `GPU ${i} busy`, scale: "pct", pick: (s: TelemetrySample) => s.gpus[i]?.utilPct, format: f("%", 0) },
        {
          label: `GPU ${i} memory`,
          scale: "pct",
          pick: (s: TelemetrySample) => pct(s.gpus[i]?.memUsedBytes, s.gpus[i]?.memTotalBytes),
          format: f("%", 0),
          dash: [4, 3],
        },
      ]).flat(),
    },
    {
      id: "network",
      title: "Network",
      axes: [{ scale: "bps", side: "left", format: rate, size: 84 }],
      series: [
        { label: "Received", scale: "bps", pick: (s) => s.netRxBps, format: rate },
        { label: "Sent", scale: "bps", pick: (s) => s.netTxBps, format: rate },
      ],
    },
    {
      id: "disk",
      title: "Disk I/O",
      axes: [{ scale: "bps", side: "left", format: rate, size: 84 }],
      series: [
        { label: "Read", scale: "bps", pick: (s) => s.diskReadBps, format: rate },
        { label: "Write", scale: "bps", pick: (s) => s.diskWriteBps, format: rate },
      ],
    },
  ];
}

function LiveChartCard({ def, samples }: { def: ChartDef; samples: readonly TelemetrySample[] }) {
  const { series, data, missing } = useMemo(() => {
    const present = def.series.filter((s) => hasData(samples, s.pick));
    const colored = present.map((s, i) => ({ ...s, color: s.color ?? P[i % P.length] ?? "#0369a1" }));
    return {
      series: colored,
      data: toColumns(
        samples,
        colored.map((s) => s.pick),
      ),
      missing: def.series.filter((s) => !present.includes(s)).map((s) => s.label),
    };
  }, [def, samples]);
  return (
    <Card title={def.title}>
      <TimeChart
        data={data}
        series={series}
        axes={def.axes}
        windowS={WINDOW_S}
        legend={def.legend ?? true}
        testId={`chart-${def.id}`}
        caption={`${def.title}: ${series.map((s) => s.label).join(", ")}, last five minutes.`}
      />
      {missing.length > 0 && (
        <p className="mt-1 text-xs text-slate-500">{missing.join(", ")}: not exposed by this device.</p>
      )}
    </Card>
  );
}

/**
 * Live charts for everything the device reports, one point a second while the page is open. A chart whose
 * series are all null is not drawn; it is named in one line instead, so that "no sensor" is never "0".
 */
export function LiveCharts({ samples, hasNpu }: { samples: readonly TelemetrySample[]; hasNpu: boolean }) {
  const { cores, gpus } = widths(samples);
  const defs = useMemo(() => chartDefs(cores, gpus), [cores, gpus]);
  if (samples.length === 0) {
    return <p className="text-sm text-slate-500">Waiting for the first samples…</p>;
  }
  const shown = defs.filter((d) => d.series.some((s) => hasData(samples, s.pick)));
  const hidden = defs.filter((d) => !shown.includes(d)).map((d) => (d.id === "gpu" ? "GPU" : d.title));
  if (hasNpu) hidden.push("NPU utilisation");
  return (
    <div className="space-y-3">
      <div className="grid gap-4 lg:grid-cols-2">
        {shown.map((d) => (
          <LiveChartCard key={d.id} def={d} samples={samples} />
        ))}
      </div>
      {hidden.length > 0 && (
        <p className="text-sm text-slate-500" data-testid="charts-not-exposed">
          Not exposed by this device: {hidden.join(", ")}.
        </p>
      )}
    </div>
  );
}
