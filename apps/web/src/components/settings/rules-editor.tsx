"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { KIND_LABEL, KIND_UNIT } from "@/components/alerts/alert-meta";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { inputClass } from "@/components/ui/field";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

type Rule = RouterOutputs["alertRule"]["list"][number];

const SOURCE_LABEL: Record<Rule["source"], string> = {
  builtin: "Default",
  fleet: "Fleet-wide",
  lab: "This lab",
};

/** The rules in force fleet-wide or for one lab; a lab row overrides the fleet-wide one, which overrides the default. */
export function RulesEditor() {
  const trpc = useTRPC();
  const [labId, setLabId] = useState<string | null>(null);
  const labs = useQuery(trpc.alertRule.labs.queryOptions());
  const rules = useQuery(trpc.alertRule.list.queryOptions({ labId }));
  const me = useQuery(trpc.user.me.queryOptions());
  // The fleet-wide rules reach every lab: an instructor reads them and sets rules for their own labs.
  const locked = labId === null && me.data?.role !== "admin";

  return (
    <Card
      title="Alert rules"
      actions={
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <span className="whitespace-nowrap">Rules for</span>
          <select
            className={`${inputClass} max-w-64 py-1`}
            value={labId ?? ""}
            data-testid="rules-scope"
            onChange={(e) => setLabId(e.target.value || null)}
          >
            <option value="">The whole fleet</option>
            {labs.data?.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <p className="mb-3 text-sm text-slate-500">
        {labId
          ? "A change here applies to this lab's devices only. Reset goes back to the fleet-wide rule."
          : locked
            ? "These apply to every device, unless its lab has its own rule. Only admins change them: choose one of your labs to set its own."
            : "These apply to every device, unless its lab has its own rule. Reset goes back to the default."}
      </p>
      {rules.error ? (
        <ErrorNotice>{errorMessage(rules.error)}</ErrorNotice>
      ) : !rules.data ? (
        <Loading label="Loading rules…" />
      ) : (
        <DataTable
          frame="overflow-x-auto"
          thClassName="py-2 pr-4 font-medium"
          head={["Alert", "Threshold", "Held for (s)", "On", "From", { key: "actions", className: "py-2" }]}
        >
          {rules.data.map((r) => (
            <RuleRow
              key={`${labId ?? ""}:${r.kind}:${r.source}:${r.threshold}:${r.forS}:${r.enabled}`}
              labId={labId}
              rule={r}
              locked={locked}
            />
          ))}
        </DataTable>
      )}
    </Card>
  );
}

function RuleRow({ labId, rule, locked }: { labId: string | null; rule: Rule; locked: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [threshold, setThreshold] = useState(rule.threshold === null ? "" : String(rule.threshold));
  const [forS, setForS] = useState(String(rule.forS));
  const [enabled, setEnabled] = useState(rule.enabled);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.alertRule.list.queryKey() });
  const save = useMutation(trpc.alertRule.update.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.alertRule.reset.mutationOptions({ onSuccess: refresh }));
  const unit = KIND_UNIT[rule.kind];
  const forValid = /^\d+$/.test(forS.trim());
  const thresholdValid = !unit || (threshold.trim() !== "" && Number.isFinite(Number(threshold)));
  const dirty =
    enabled !== rule.enabled ||
    forS.trim() !== String(rule.forS) ||
    (unit !== undefined && threshold.trim() !== String(rule.threshold ?? ""));
  const ownRow = labId ? rule.source === "lab" : rule.source === "fleet";
  const error = save.error ?? reset.error;

  return (
    <tr data-testid="rule-row" data-kind={rule.kind}>
      <td className="py-2 pr-4 font-medium text-slate-900">
        {KIND_LABEL[rule.kind]}
        {error && <div className="text-xs font-normal text-red-700">{errorMessage(error)}</div>}
      </td>
      <td className="py-2 pr-4">
        {unit ? (
          <span className="flex items-center gap-1.5">
            <input
              className={`${inputClass} max-w-24 py-1`}
              inputMode="decimal"
              aria-label={`${KIND_LABEL[rule.kind]} threshold`}
              aria-invalid={!thresholdValid || undefined}
              data-testid="rule-threshold"
              value={threshold}
              onChange={(e) => setThreshold(e.target.value)}
            />
            <span className="text-slate-500">{unit}</span>
          </span>
        ) : (
          <span className="text-slate-400">—</span>
        )}
      </td>
      <td className="py-2 pr-4">
        <input
          className={`${inputClass} max-w-24 py-1`}
          inputMode="numeric"
          aria-label={`${KIND_LABEL[rule.kind]} held for, seconds`}
          aria-invalid={!forValid || undefined}
          data-testid="rule-for"
          value={forS}
          onChange={(e) => setForS(e.target.value)}
        />
      </td>
      <td className="py-2 pr-4">
        <input
          type="checkbox"
          className="size-4 accent-sky-700"
          aria-label={`${KIND_LABEL[rule.kind]} enabled`}
          data-testid="rule-enabled"
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
        />
      </td>
      <td className="py-2 pr-4">
        <Badge tone={rule.source === "builtin" ? "neutral" : "sky"}>{SOURCE_LABEL[rule.source]}</Badge>
      </td>
      <td className="py-2 text-right whitespace-nowrap">
        <Button
          size="sm"
          variant="primary"
          data-testid="rule-save"
          disabled={locked || !dirty || !forValid || !thresholdValid || save.isPending}
          onClick={() =>
            save.mutate({
              labId,
              kind: rule.kind,
              threshold: unit ? Number(threshold) : null,
              forS: Number(forS),
              enabled,
            })
          }
        >
          {save.isPending ? "Saving…" : "Save"}
        </Button>{" "}
        {ownRow && !locked && (
          <Button
            size="sm"
            variant="ghost"
            disabled={reset.isPending}
            onClick={() => reset.mutate({ labId, kind: rule.kind })}
          >
            Reset
          </Button>
        )}
      </td>
    </tr>
  );
}
