"use client";

import { useQuery } from "@tanstack/react-query";
import type { DeploymentTarget } from "@/components/models/api-types";
import { inputClass } from "@/components/ui/field";
import { ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export type TargetKind = DeploymentTarget["kind"];

export interface TargetDraft {
  kind: TargetKind;
  labId: string;
  deviceIds: string[];
  tag: string;
}

export const EMPTY_TARGET: TargetDraft = { kind: "lab", labId: "", deviceIds: [], tag: "" };

/** The target the draft names, or null while it names nothing yet. */
export function draftTarget(d: TargetDraft): DeploymentTarget | null {
  if (d.kind === "lab") return d.labId ? { kind: "lab", labId: d.labId } : null;
  if (d.kind === "tag") return d.tag ? { kind: "tag", tag: d.tag } : null;
  return d.deviceIds.length > 0 ? { kind: "devices", deviceIds: d.deviceIds } : null;
}

const KINDS: Array<{ value: TargetKind; label: string }> = [
  { value: "lab", label: "A lab" },
  { value: "devices", label: "Chosen devices" },
  { value: "tag", label: "A tag" },
];

/** Lab, a set of devices, or a tag: the three ways to say where a version goes. */
export function TargetPicker({
  value,
  onChange,
  disabled,
}: {
  value: TargetDraft;
  onChange: (next: TargetDraft) => void;
  disabled?: boolean;
}) {
  const trpc = useTRPC();
  const labs = useQuery(trpc.lab.list.queryOptions());
  const devices = useQuery({ ...trpc.device.list.queryOptions(), enabled: value.kind === "devices" });
  const attributes = useQuery({ ...trpc.device.attributes.queryOptions(), enabled: value.kind === "tag" });
  const tags = [...new Set((attributes.data ?? []).flatMap((a) => a.tags))].sort();
  const error = labs.error ?? devices.error ?? attributes.error;

  return (
    <fieldset className="space-y-3" disabled={disabled}>
      <legend className="mb-1 text-sm font-medium text-slate-700">Target</legend>
      <div className="flex flex-wrap gap-4" role="radiogroup">
        {KINDS.map((k) => (
          <label key={k.value} className="inline-flex items-center gap-1.5 text-sm text-slate-700">
            <input
              type="radio"
              name="target-kind"
              value={k.value}
              checked={value.kind === k.value}
              data-testid={`target-kind-${k.value}`}
              onChange={() => onChange({ ...value, kind: k.value })}
            />
            {k.label}
          </label>
        ))}
      </div>
      {error && <ErrorNotice>{errorMessage(error)}</ErrorNotice>}
      {value.kind === "lab" && (
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700">Lab</span>
          <select
            className={inputClass}
            value={value.labId}
            data-testid="target-lab"
            onChange={(e) => onChange({ ...value, labId: e.target.value })}
          >
            <option value="">{labs.data ? "Choose a lab…" : "Loading labs…"}</option>
            {labs.data?.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name} ({l.deviceCount} {l.deviceCount === 1 ? "device" : "devices"})
              </option>
            ))}
          </select>
          {labs.data?.length === 0 && <span className="mt-1 block text-xs text-slate-500">No labs yet.</span>}
        </label>
      )}
      {value.kind === "devices" && (
        <div className="max-h-48 overflow-y-auto rounded-md p-2 ring-1 ring-slate-200" data-testid="target-devices">
          {!devices.data ? (
            <p className="text-sm text-slate-500">Loading devices…</p>
          ) : devices.data.length === 0 ? (
            <p className="text-sm text-slate-500">No devices enrolled yet.</p>
          ) : (
            devices.data
              .filter((d) => d.status !== "revoked")
              .map((d) => (
                <label key={d.id} className="flex items-center gap-2 py-0.5 text-sm text-slate-700">
                  <input
                    type="checkbox"
                    checked={value.deviceIds.includes(d.id)}
                    data-testid={`target-device-${d.id}`}
                    onChange={(e) =>
                      onChange({
                        ...value,
                        deviceIds: e.target.checked
                          ? [...value.deviceIds, d.id]
                          : value.deviceIds.filter((id) => id !== d.id),
                      })
                    }
                  />
                  {d.name}
                  <span className="text-xs text-slate-400">{d.status}</span>
                </label>
              ))
          )}
        </div>
      )}
      {value.kind === "tag" && (
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700">Tag</span>
          <select
            className={inputClass}
            value={value.tag}
            data-testid="target-tag"
            onChange={(e) => onChange({ ...value, tag: e.target.value })}
          >
            <option value="">{attributes.data ? "Choose a tag…" : "Loading tags…"}</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          {attributes.data && tags.length === 0 && (
            <span className="mt-1 block text-xs text-slate-500">
              No device has a tag yet (add them in the fleet list).
            </span>
          )}
        </label>
      )}
    </fieldset>
  );
}
