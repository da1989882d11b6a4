"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AlertsTable } from "@/components/alerts/alerts-table";
import { useLiveAlerts } from "@/components/alerts/use-live-alerts";
import { inputClass } from "@/components/ui/field";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

const FILTERS = [
  { value: "all", label: "All (open first)" },
  { value: "open", label: "Open" },
  { value: "firing", label: "Firing" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
] as const;
type Filter = (typeof FILTERS)[number]["value"];

export default function AlertsPage() {
  const trpc = useTRPC();
  const [state, setState] = useState<Filter>("all");
  useLiveAlerts();
  const alerts = useQuery(trpc.alert.list.queryOptions({ state, limit: 200 }));

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Alerts</h1>
          <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
            Live. An alert fires when a rule holds long enough, stays until someone acknowledges it, and resolves by
            itself when the condition clears. Tune the rules on the Settings page.
          </p>
        </div>
        <label className="text-sm text-slate-700">
          <span className="mb-1 block font-medium">Show</span>
          <select
            className={inputClass}
            value={state}
            data-testid="alert-filter"
            onChange={(e) => setState(e.target.value as Filter)}
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {alerts.error ? (
        <ErrorNotice>{errorMessage(alerts.error)}</ErrorNotice>
      ) : !alerts.data ? (
        <Loading label="Loading alerts…" />
      ) : alerts.data.length === 0 ? (
        <p
          className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200"
          data-testid="alerts-empty"
        >
          {state === "all" ? "No alerts yet. All quiet." : "No alerts in this state."}
        </p>
      ) : (
        <AlertsTable alerts={alerts.data} />
      )}
    </div>
  );
}
