"use client";

import type { RunProgress } from "@labfleet/protocol";
import Link from "next/link";
import type { GroupRun } from "@/components/models/api-types";
import { ProgressBar } from "@/components/models/progress-bar";
import { Badge } from "@/components/ui/badge";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { formatTempC } from "@/lib/format";
import {
  asProgress,
  describeProgress,
  explainFlags,
  formatAccuracy,
  formatMs,
  formatThroughput,
  isActive,
  progressPercent,
  runStatusOf,
} from "./run-meta";
import { SignatureBadge } from "./signature-badge";

/** The room's runs ranked by throughput (the server's order); running ones show their progress. */
export function GroupTable({ runs, live }: { runs: GroupRun[]; live: Map<string, RunProgress> }) {
  let rank = 0;
  return (
    <DataTable
      frame={FRAME_CARD}
      testId="group-table"
      thClassName="px-3 py-2 font-medium"
      head={[
        "#",
        "Device",
        "Status",
        { label: "Throughput", className: "px-3 py-2 text-right font-medium" },
        { label: "p50", className: "px-3 py-2 text-right font-medium" },
        { label: "p95", className: "px-3 py-2 text-right font-medium" },
        { label: "Accuracy", className: "px-3 py-2 text-right font-medium" },
        { label: "Max temp", className: "px-3 py-2 text-right font-medium" },
        "Flags",
        "Signature",
      ]}
    >
      {runs.map((r) => {
        const s = runStatusOf(r.status);
        const progress = live.get(r.id) ?? asProgress(r.progress);
        const succeeded = r.status === "succeeded";
        if (succeeded) rank += 1;
        const shownRank = succeeded ? (r.rank ?? rank) : null;
        const why = explainFlags(r);
        return (
          <tr
            key={r.id}
            data-testid="group-row"
            data-device-id={r.deviceId}
            data-status={r.status}
            data-rank={shownRank ?? ""}
            data-throughput={r.throughput ?? ""}
            data-flagged={why ? "true" : "false"}
            className={why ? "bg-amber-50/60 align-top" : "align-top"}
          >
            <td className="px-3 py-2 font-semibold text-slate-700 tabular-nums">{shownRank ?? "—"}</td>
            <td className="px-3 py-2">
              <Link href={`/runs/${r.id}`} className="font-medium text-sky-700 hover:underline">
                {r.deviceName}
              </Link>
              {r.seatLabel && <span className="ml-1 text-xs text-slate-500">seat {r.seatLabel}</span>}
            </td>
            <td className="px-3 py-2">
              <Badge tone={s.tone}>{s.label}</Badge>
              {isActive(r.status) && progress && (
                <div className="mt-1 w-36">
                  <ProgressBar percent={progressPercent(progress)} label={`Progress on ${r.deviceName}`} />
                  <div className="mt-0.5 text-[11px] text-slate-500">{describeProgress(progress)}</div>
                </div>
              )}
              {!isActive(r.status) && !succeeded && r.errorMessage && (
                <div className="mt-1 max-w-xs text-xs text-red-700">{r.errorMessage}</div>
              )}
            </td>
            <td className="px-3 py-2 text-right font-medium tabular-nums">{formatThroughput(r.throughput)}</td>
            <td className="px-3 py-2 text-right tabular-nums">{formatMs(r.p50Ms)}</td>
            <td className="px-3 py-2 text-right tabular-nums">{formatMs(r.p95Ms)}</td>
            <td className="px-3 py-2 text-right tabular-nums">{formatAccuracy(r.accuracy)}</td>
            <td className="px-3 py-2 text-right tabular-nums">{formatTempC(r.system?.cpuTempCMax)}</td>
            <td className="px-3 py-2">
              <div className="flex flex-wrap gap-1">
                {r.flags?.throttled && (
                  <Badge tone="amber" data-testid="flag-throttled">
                    Throttled
                  </Badge>
                )}
                {r.flags?.hot && (
                  <Badge tone="red" data-testid="flag-hot">
                    Hot
                  </Badge>
                )}
              </div>
              {why && <p className="mt-1 max-w-xs text-xs text-amber-900">{why}</p>}
            </td>
            <td className="px-3 py-2">
              <SignatureBadge valid={r.signatureValid} compact />
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
