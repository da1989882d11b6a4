"use client";

import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { formatBytes } from "@/lib/format";
import type { ModelEntry } from "./api-types";
import { originBadge, taskLabel } from "./model-meta";

/** The catalog: one row per model, its variants as chips; a row opens the model's page. */
export function CatalogTable({ models }: { models: ModelEntry[] }) {
  return (
    <DataTable
      frame={FRAME_CARD}
      thClassName="px-4 py-2 font-medium"
      head={["Model", "Task", "Versions", "Source", "Licence"]}
    >
      {models.map((m) => {
        const origin = originBadge(m);
        return (
          <tr key={m.id} data-testid="model-row" data-model-id={m.id} data-slug={m.slug ?? ""} className="align-top">
            <td className="px-4 py-2.5">
              <Link href={`/models/${m.id}`} className="font-medium text-sky-700 hover:underline">
                {m.name}
              </Link>
              <div className="mt-0.5 flex flex-wrap items-center gap-1.5">
                <Badge tone={origin.tone} data-testid="model-origin">
                  {origin.label}
                </Badge>
              </div>
              {m.description && <p className="mt-1 max-w-md text-xs text-slate-500">{m.description}</p>}
            </td>
            <td className="px-4 py-2.5 text-slate-700">{taskLabel(m.task)}</td>
            <td className="px-4 py-2.5">
              <div className="flex flex-wrap gap-1">
                {m.versions.map((v) => (
                  <Badge key={v.id} title={`${v.format} · ${v.runtime} · ${formatBytes(v.totalBytes)}`}>
                    {v.variant} · {formatBytes(v.totalBytes)}
                  </Badge>
                ))}
                {m.versions.length === 0 && <span className="text-slate-400">none</span>}
              </div>
            </td>
            <td className="px-4 py-2.5 text-slate-600">
              {m.sourcePackage ? (
                <span className="font-mono text-xs">
                  {m.sourcePackage}
                  {m.sourceVersion && `@${m.sourceVersion}`}
                </span>
              ) : m.origin === "uploaded" ? (
                "Uploaded"
              ) : (
                "Made by LabFleet"
              )}
            </td>
            <td className="px-4 py-2.5 text-slate-600">{m.licence ?? "—"}</td>
          </tr>
        );
      })}
    </DataTable>
  );
}
