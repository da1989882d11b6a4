"use client";

import { Field, inputClass } from "@/components/ui/field";
import type { SpecDraft } from "./spec";

export { defaultSpec, parseSpec, type SpecDraft } from "./spec";

/** The knobs of a run. The kind is chosen by the caller (a benchmark button, an evaluate button). */
export function SpecFields({
  value,
  onChange,
  disabled,
  idPrefix = "spec",
}: {
  value: SpecDraft;
  onChange: (next: SpecDraft) => void;
  disabled?: boolean;
  idPrefix?: string;
}) {
  const set = (patch: Partial<SpecDraft>) => onChange({ ...value, ...patch });
  const benchmark = value.kind === "benchmark";
  return (
    <fieldset className="grid grid-cols-2 gap-3 sm:grid-cols-4" disabled={disabled}>
      <Field
        id={`${idPrefix}-warmup`}
        label="Warm-up"
        type="number"
        min={0}
        value={value.warmup}
        onChange={(e) => set({ warmup: e.target.value })}
        hint="untimed runs first"
      />
      {benchmark && (
        <>
          <Field
            id={`${idPrefix}-iterations`}
            label="Iterations"
            type="number"
            min={1}
            value={value.iterations}
            onChange={(e) => set({ iterations: e.target.value })}
          />
          <Field
            id={`${idPrefix}-duration`}
            label="Or duration (s)"
            type="number"
            min={1}
            value={value.durationS}
            placeholder="none"
            onChange={(e) => set({ durationS: e.target.value })}
            hint="whichever ends first"
          />
        </>
      )}
      <Field
        id={`${idPrefix}-batch`}
        label="Batch size"
        type="number"
        min={1}
        value={value.batchSize}
        onChange={(e) => set({ batchSize: e.target.value })}
      />
      <Field
        id={`${idPrefix}-threads`}
        label="Threads"
        type="number"
        min={1}
        value={value.threads}
        placeholder="default"
        onChange={(e) => set({ threads: e.target.value })}
      />
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Execution provider</span>
        <select
          id={`${idPrefix}-ep`}
          className={inputClass}
          value={value.executionProvider}
          onChange={(e) => set({ executionProvider: e.target.value })}
        >
          <option value="cpu">cpu</option>
          <option value="cuda">cuda</option>
          <option value="dml">dml</option>
          <option value="coreml">coreml</option>
          <option value="openvino">openvino</option>
        </select>
      </label>
      <Field
        id={`${idPrefix}-timeout`}
        label="Time limit (s)"
        type="number"
        min={1}
        value={value.timeoutS}
        onChange={(e) => set({ timeoutS: e.target.value })}
      />
    </fieldset>
  );
}
