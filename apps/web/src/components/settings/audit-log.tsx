"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { DataTable } from "@/components/ui/data-table";
import { inputClass } from "@/components/ui/field";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

/** What admins and instructors did, newest first, filterable by the kind of action. */
export function AuditLog() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const log = useQuery(
    trpc.audit.list.queryOptions(
      { limit: 100, ...(action.trim() ? { action: action.trim() } : {}) },
      { refetchInterval: 10_000 },
    ),
  );
  return (
    <Card title="Audit log">
      <label className="mb-3 block max-w-xs text-sm">
        <span className="mb-1 block font-medium text-slate-700">Action starts with</span>
        <input
          className={inputClass}
          value={action}
          maxLength={80}
          placeholder="e.g. deployment. or grade."
          data-testid="audit-filter"
          onChange={(e) => setAction(e.target.value)}
        />
      </label>
      {log.error ? (
        <ErrorNotice>{errorMessage(log.error)}</ErrorNotice>
      ) : !log.data ? (
        <Loading />
      ) : log.data.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing recorded{action.trim() ? " for that action" : " yet"}.</p>
      ) : (
        <DataTable
          frame="overflow-x-auto"
          thClassName="py-2 pr-4 font-medium"
          head={["When", "Who", "Action", "Target", { label: "Detail", className: "py-2 font-medium" }]}
        >
          {log.data.map((e) => (
            <tr key={e.id} data-testid="audit-row" data-action={e.action}>
              <td className="py-2 pr-4 whitespace-nowrap">{formatDateTime(e.at)}</td>
              <td className="py-2 pr-4">
                {e.actorName ?? "LabFleet"}
                {e.actorRole && <span className="ml-1 text-xs text-slate-500">({e.actorRole})</span>}
              </td>
              <td className="py-2 pr-4 font-mono text-xs">{e.action}</td>
              <td className="py-2 pr-4 font-mono text-xs">{e.targetId ?? "—"}</td>
              <td className="max-w-md truncate py-2 font-mono text-xs text-slate-600" title={JSON.stringify(e.detail)}>
                {JSON.stringify(e.detail)}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Card>
  );
}
