"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { defaultSpec } from "@/components/runs/spec";
import { SpecFields } from "@/components/runs/spec-fields";
import { Button } from "@/components/ui/button";
import { Field, inputClass, SelectField } from "@/components/ui/field";
import { ErrorNotice } from "@/components/ui/notice";
import { useTRPC } from "@/lib/trpc";
import {
  type AssignmentDraft,
  type AssignmentView,
  draftFromAssignment,
  emptyDraft,
  INSTRUCTIONS_MAX,
  MAX_VERSIONS,
  parseDraft,
} from "./assignment-draft";
import { Markdown } from "./markdown";

/** The model versions a student may choose among: every version of every model, grouped by model. */
function VersionPicker({ value, onChange }: { value: string[]; onChange: (ids: string[]) => void }) {
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  if (models.error) return <ErrorNotice>{inputErrorMessage(models.error)}</ErrorNotice>;
  if (!models.data) return <p className="text-sm text-slate-500">Loading the models…</p>;
  if (models.data.length === 0) return <p className="text-sm text-slate-500">No models yet: add one on Models.</p>;
  const toggle = (id: string, on: boolean) =>
    onChange(on ? [...value.filter((v) => v !== id), id] : value.filter((v) => v !== id));
  return (
    <fieldset className="space-y-2" data-testid="assignment-versions">
      <legend className="mb-1 text-sm font-medium text-slate-700">
        Model versions students may choose ({value.length}/{MAX_VERSIONS})
      </legend>
      {models.data.map((m) => (
        <div key={m.id} className="text-sm">
          <div className="font-medium text-slate-800">{m.name}</div>
          <div className="mt-1 flex flex-wrap gap-3">
            {m.versions.map((v) => (
              <label key={v.id} className="flex items-center gap-1.5 text-slate-700">
                <input
                  type="checkbox"
                  checked={value.includes(v.id)}
                  disabled={!value.includes(v.id) && value.length >= MAX_VERSIONS}
                  onChange={(e) => toggle(v.id, e.target.checked)}
                  data-testid={`assignment-version-${v.id}`}
                />
                {v.variant} <span className="text-xs text-slate-400">{v.runtime}</span>
              </label>
            ))}
          </div>
        </div>
      ))}
    </fieldset>
  );
}

/** Create or edit an assignment of a class: instructions (with a preview), models, spec, bounds, targets, dates. */
/** The "from" and "to" bounds a student may pick a run setting within. */
function RangeFields(p: {
  id: string;
  label: string;
  from: string;
  to: string;
  onFrom: (value: string) => void;
  onTo: (value: string) => void;
}) {
  return (
    <>
      <Field
        id={`${p.id}-min`}
        label={`${p.label} from`}
        type="number"
        min={1}
        value={p.from}
        onChange={(e) => p.onFrom(e.target.value)}
        hint="empty: fixed"
      />
      <Field
        id={`${p.id}-max`}
        label={`${p.label} to`}
        type="number"
        min={1}
        value={p.to}
        onChange={(e) => p.onTo(e.target.value)}
      />
    </>
  );
}

export function AssignmentForm({
  classId,
  assignment,
  onDone,
}: {
  classId: string;
  assignment: AssignmentView | null;
  onDone: (saved: AssignmentView | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [d, setD] = useState<AssignmentDraft>(() => (assignment ? draftFromAssignment(assignment) : emptyDraft()));
  const [preview, setPreview] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<AssignmentDraft>) => setD((prev) => ({ ...prev, ...patch }));
  const onSaved = async (saved: AssignmentView) => {
    await queryClient.invalidateQueries({ queryKey: trpc.assignment.pathKey() });
    onDone(saved);
  };
  const create = useMutation(trpc.assignment.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.assignment.update.mutationOptions({ onSuccess: onSaved }));
  const pending = create.isPending || update.isPending;
  const serverError = create.error ?? update.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    const { fields, error: problem } = parseDraft(d);
    setError(problem);
    if (!fields) return;
    if (assignment) update.mutate({ id: assignment.id, ...fields });
    else create.mutate({ classId, ...fields });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="assignment-form">
      <div className="flex flex-wrap gap-3">
        <Field
          id="assignment-title"
          label="Title"
          value={d.title}
          maxLength={200}
          onChange={(e) => set({ title: e.target.value })}
          className="min-w-64 flex-1"
        />
        <SelectField
          label="Kind"
          value={d.kind}
          onChange={(e) => {
            const kind = e.target.value === "evaluation" ? "evaluation" : "benchmark";
            set({ kind, spec: defaultSpec(kind) });
          }}
          className="w-44"
          data-testid="assignment-kind"
        >
          <option value="benchmark">Benchmark</option>
          <option value="evaluation">Evaluation</option>
        </SelectField>
      </div>

      <div>
        <div className="mb-1 flex items-center justify-between">
          <label htmlFor="assignment-instructions" className="text-sm font-medium text-slate-700">
            Instructions (Markdown)
          </label>
          <Button size="sm" variant="ghost" onClick={() => setPreview((p) => !p)} aria-pressed={preview}>
            {preview ? "Edit" : "Preview"}
          </Button>
        </div>
        {preview ? (
          <div className="min-h-40 rounded-md p-3 ring-1 ring-slate-200" data-testid="assignment-preview">
            <Markdown source={d.instructions} />
          </div>
        ) : (
          <textarea
            id="assignment-instructions"
            className={`${inputClass} min-h-40 font-mono`}
            value={d.instructions}
            maxLength={INSTRUCTIONS_MAX}
            onChange={(e) => set({ instructions: e.target.value })}
            data-testid="assignment-instructions"
          />
        )}
        <p className="mt-1 text-xs text-slate-500">
          {d.instructions.length}/{INSTRUCTIONS_MAX} characters. HTML is not rendered.
        </p>
      </div>

      <VersionPicker value={d.versionIds} onChange={(versionIds) => set({ versionIds })} />

      <div>
        <h3 className="mb-2 text-sm font-medium text-slate-700">Run spec students start from</h3>
        <SpecFields value={{ ...d.spec, kind: d.kind }} onChange={(spec) => set({ spec })} idPrefix="assignment-spec" />
      </div>

      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <RangeFields
          id="assignment-threads"
          label="Threads"
          from={d.threadsMin}
          to={d.threadsMax}
          onFrom={(threadsMin) => set({ threadsMin })}
          onTo={(threadsMax) => set({ threadsMax })}
        />
        <RangeFields
          id="assignment-batch"
          label="Batch size"
          from={d.batchMin}
          to={d.batchMax}
          onFrom={(batchMin) => set({ batchMin })}
          onTo={(batchMax) => set({ batchMax })}
        />
      </div>

      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <Field
          id="assignment-target-accuracy"
          label="Accuracy at least (%)"
          type="number"
          min={0}
          max={100}
          value={d.accuracyMinPct}
          onChange={(e) => set({ accuracyMinPct: e.target.value })}
          hint="empty: no target"
        />
        <Field
          id="assignment-target-p95"
          label="p95 latency at most (ms)"
          type="number"
          min={0}
          value={d.p95MsMax}
          onChange={(e) => set({ p95MsMax: e.target.value })}
        />
        <Field
          id="assignment-target-energy"
          label="Energy per inference at most (mJ)"
          type="number"
          min={0}
          value={d.energyMJMax}
          onChange={(e) => set({ energyMJMax: e.target.value })}
          hint="needs a device that reports power"
        />
      </div>

      <div className="flex flex-wrap gap-3">
        <Field
          id="assignment-due"
          label="Due"
          type="datetime-local"
          value={d.dueAt}
          onChange={(e) => set({ dueAt: e.target.value })}
          className="w-60"
        />
        <SelectField
          label="Late work"
          value={d.lateKind}
          onChange={(e) => {
            const v = e.target.value;
            set({ lateKind: v === "reject" || v === "penalty" ? v : "accept" });
          }}
          className="w-56"
          data-testid="assignment-late"
        >
          <option value="accept">Accepted</option>
          <option value="reject">Refused</option>
          <option value="penalty">Penalty per day</option>
        </SelectField>
        {d.lateKind === "penalty" && (
          <>
            <Field
              id="assignment-late-pct"
              label="Points off per day"
              type="number"
              min={0}
              max={100}
              value={d.percentPerDay}
              onChange={(e) => set({ percentPerDay: e.target.value })}
              className="w-40"
            />
            <Field
              id="assignment-late-days"
              label="Accepted for (days)"
              type="number"
              min={0}
              value={d.maxDays}
              onChange={(e) => set({ maxDays: e.target.value })}
              className="w-40"
            />
          </>
        )}
      </div>

      {(error || serverError) && (
        <ErrorNotice testId="assignment-form-error">{error ?? inputErrorMessage(serverError)}</ErrorNotice>
      )}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={pending} data-testid="assignment-save">
          {pending ? "Saving…" : assignment ? "Save changes" : "Create assignment"}
        </Button>
        <Button onClick={() => onDone(null)} disabled={pending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
