"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import Link from "next/link";
import { memo } from "react";
import { useNow } from "@/lib/clock";
import { formatAgo, formatMemPair, formatPercent, formatTempC, MISSING } from "@/lib/format";
import { STATUS_LABEL, StatusDot } from "./status-dot";
import { Badge } from "./ui/badge";
import { cx } from "./ui/cx";

function Metric({
  label,
  value,
  title,
  testId,
  raw,
}: {
  label: string;
  value: string;
  title?: string;
  testId: string;
  raw: number | null;
}) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd
        className="truncate text-sm font-medium text-slate-900 tabular-nums"
        data-testid={testId}
        data-value={raw ?? ""}
        title={title}
      >
        {value}
      </dd>
    </div>
  );
}

/** "· last seen 12 s ago", ticking on the shared clock so that the tile itself does not re-render every second. */
export function LastSeen({ ts, online }: { ts: number | null; online: boolean }) {
  const now = useNow();
  if (ts == null) return <span className="text-slate-500">· never connected</span>;
  if (now == null) return null;
  return (
    <span className="text-slate-500" title={new Date(ts).toLocaleString()} data-testid="device-last-seen">
      · {online ? "seen" : "last seen"} {formatAgo(ts, now)}
    </span>
  );
}

/** One machine at a glance. Memoised: a flush re-renders only the tiles whose summary object changed. */
export const DeviceTile = memo(function DeviceTile({ device }: { device: DeviceSummary }) {
  const s = device.latest;
  const stale = device.status !== "online";
  const memPct = s && s.memTotalBytes > 0 ? (s.memUsedBytes / s.memTotalBytes) * 100 : null;
  return (
    <li>
      <Link
        href={`/devices/${encodeURIComponent(device.id)}`}
        data-testid={`device-tile-${device.id}`}
        data-device-name={device.name}
        className="block rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200 transition hover:ring-sky-300 hover:shadow-sm"
      >
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 className="truncate font-medium text-slate-900">{device.name}</h2>
            <p className="truncate font-mono text-xs text-slate-500">{device.hostname}</p>
          </div>
          {device.simulated && (
            <Badge tone="violet" title="Numbers from the simulator, not real hardware">
              simulated
            </Badge>
          )}
        </div>
        <p className="mt-2 flex items-center gap-2 text-xs text-slate-600">
          <span className="inline-flex items-center gap-1.5" data-testid="device-status" data-status={device.status}>
            <StatusDot status={device.status} />
            <span className="font-medium">{STATUS_LABEL[device.status]}</span>
          </span>
          <LastSeen ts={device.lastSeenAt} online={device.status === "online"} />
        </p>
        <dl
          className={cx(
            "mt-3 grid grid-cols-[1fr_1.7fr_1fr] gap-2 border-t border-slate-100 pt-3",
            stale && "opacity-60",
          )}
        >
          <Metric label="CPU" value={formatPercent(s?.cpuLoadPct)} testId="device-cpu" raw={s?.cpuLoadPct ?? null} />
          <Metric
            label="Memory"
            value={s ? formatMemPair(s.memUsedBytes, s.memTotalBytes) : MISSING}
            title={memPct != null ? `${memPct.toFixed(0)}% used` : undefined}
            testId="device-mem"
            raw={s?.memUsedBytes ?? null}
          />
          <Metric
            label="CPU temp"
            value={formatTempC(s?.cpuTempC)}
            title={s && s.cpuTempC == null ? "no sensor" : undefined}
            testId="device-temp"
            raw={s?.cpuTempC ?? null}
          />
        </dl>
      </Link>
    </li>
  );
});
