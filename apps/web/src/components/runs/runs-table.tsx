"use client";

import type { RunProgress } from "@labfleet/protocol";
import Link from "next/link";
import { useState } from "react";
import { type RunRow, toMs } from "@/components/models/api-types";
import { ProgressBar } from "@/components/models/progress-bar";
import { Badge } from "@/components/ui/badge";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { formatDateTime } from "@/lib/format";
import {
  asProgress,
  describeProgress,
  formatAccuracy,
  formatMs,
  formatThroughput,
  isActive,
  progressPercent,
  runStatusOf,
} from "./run-meta";
import { SignatureBadge } from "./signature-badge";

/** Runs, newest first, with a checkbox each to compare any of them side by side. */
export function RunsTable({
  runs,
  live,
  showModel = true,
}: {
  runs: RunRow[];
  live?: Map<string, RunProgress>;
  showModel?: boolean;
}) {
  const [selected, setSelected] = useState<string[]>([]);
  // The server compares at most ten runs at once.
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => (on ? (s.length >= 10 ? s : [...s, id]) : s.filter((x) => x !== id)));
  return (
    <div className="space-y-2">
      <div className="flex items-center gap-3 text-sm">
        <Link
          href={selected.length >= 2 ? `/runs/compare?ids=${selected.join(",")}` : "#"}
          aria-disabled={selected.length < 2}
          data-testid="compare-selected"
          onClick={(e) => {
            if (selected.length < 2) e.preventDefault();
          }}
          className={
            selected.length >= 2
              ? "rounded-md bg-sky-700 px-3 py-1.5 text-xs font-medium text-white hover:bg-sky-800"
              : "cursor-not-allowed rounded-md bg-slate-100 px-3 py-1.5 text-xs font-medium text-slate-400"
          }
        >
          Compare selected ({selected.length})
        </Link>
        <span className="text-xs text-slate-500">Tick two or more runs to compare them side by side.</span>
      </div>
      <DataTable
        frame={FRAME_CARD}
        thClassName="px-3 py-2 font-medium"
        head={[
          { key: "compare", label: <span className="sr-only">Compare</span>, className: "px-3 py-2" },
          "Status",
          "Kind",
          showModel && "Model · version",
          "Device",
          { label: "p50", className: "px-3 py-2 text-right font-medium" },
          { label: "p95", className: "px-3 py-2 text-right font-medium" },
          { label: "Throughput", className: "px-3 py-2 text-right font-medium" },
          { label: "Accuracy", className: "px-3 py-2 text-right font-medium" },
          "Signature",
          "Started",
        ]}
      >
        {runs.map((r) => {
          const s = runStatusOf(r.status);
          const progress = live?.get(r.id) ?? asProgress(r.progress);
          const created = toMs(r.createdAt);
          return (
            <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-status={r.status}>
              <td className="px-3 py-2">
                <input
                  type="checkbox"
                  aria-label="Compare this run"
                  checked={selected.includes(r.id)}
                  onChange={(e) => toggle(r.id, e.target.checked)}
                />
              </td>
              <td className="px-3 py-2">
                <Link href={`/runs/${r.id}`} className="hover:underline">
                  <Badge tone={s.tone}>{s.label}</Badge>
                </Link>
                {isActive(r.status) && progress && (
                  <div className="mt-1 w-32">
                    <ProgressBar percent={progressPercent(progress)} label="Run progress" />
                    <div className="mt-0.5 text-[11px] text-slate-500">{describeProgress(progress)}</div>
                  </div>
                )}
              </td>
              <td className="px-3 py-2 text-slate-700">
                <Link href={`/runs/${r.id}`} className="text-sky-700 hover:underline">
                  {r.kind === "evaluation" ? "Evaluation" : "Benchmark"}
                </Link>
              </td>
              {showModel && (
                <td className="px-3 py-2 text-slate-700">
                  {r.version.model.name} · {r.version.variant}
                </td>
              )}
              <td className="px-3 py-2 text-slate-700">{r.deviceName}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatMs(r.p50Ms)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatMs(r.p95Ms)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatThroughput(r.throughput)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatAccuracy(r.accuracy)}</td>
              <td className="px-3 py-2">
                <SignatureBadge valid={r.signatureValid} compact />
              </td>
              <td className="px-3 py-2 whitespace-nowrap text-slate-600">
                {created === null ? "—" : formatDateTime(created)}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </div>
  );
}
