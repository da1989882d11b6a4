import type { GroupRun } from "@/components/models/api-types";
import { formatThroughput } from "./run-meta";

const ROW = 26;
const LABEL_W = 170;
const VALUE_W = 80;
const WIDTH = 720;

/**
 * Throughput per device as horizontal bars, best first. A device that throttled or ran hot is drawn in amber,
 * so that the slow seats and their explanation line up with the table below.
 */
export function ThroughputChart({ runs }: { runs: GroupRun[] }) {
  const done = runs.filter((r) => r.throughput !== null && r.throughput > 0);
  if (done.length === 0) {
    return <p className="text-sm text-slate-500">The chart appears when the first device finishes.</p>;
  }
  const sorted = [...done].sort((a, b) => (b.throughput ?? 0) - (a.throughput ?? 0));
  const max = Math.max(...sorted.map((r) => r.throughput ?? 0));
  const barW = WIDTH - LABEL_W - VALUE_W;
  const height = sorted.length * ROW + 8;
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${height}`}
      className="w-full max-w-3xl"
      role="img"
      aria-label="Throughput per device, best first"
      data-testid="group-chart"
    >
      {sorted.map((r, i) => {
        const y = 4 + i * ROW;
        const w = Math.max(2, ((r.throughput ?? 0) / max) * barW);
        const flagged = r.flags?.throttled || r.flags?.hot;
        const label = r.seatLabel ? `${r.deviceName} (${r.seatLabel})` : r.deviceName;
        return (
          <g key={r.id} data-testid="chart-bar" data-device-id={r.deviceId}>
            <text x={LABEL_W - 8} y={y + ROW / 2 + 4} textAnchor="end" className="fill-slate-700 text-[12px]">
              {label.length > 24 ? `${label.slice(0, 23)}…` : label}
            </text>
            <rect
              x={LABEL_W}
              y={y + 3}
              width={w}
              height={ROW - 8}
              rx={3}
              className={flagged ? "fill-amber-500" : "fill-sky-600"}
            >
              <title>{`${label}: ${formatThroughput(r.throughput)}${flagged ? " (throttled or hot)" : ""}`}</title>
            </rect>
            <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} className="fill-slate-600 text-[12px]">
              {formatThroughput(r.throughput)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
