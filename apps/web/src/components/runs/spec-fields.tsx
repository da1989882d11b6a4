"use client";

import type { ModelRuntime } from "@labfleet/protocol";
import { Field, inputClass } from "@/components/ui/field";
import { isLanguageModel, type SpecDraft } from "./spec";

export { defaultSpec, isLanguageModel, parseSpec, type SpecDraft } from "./spec";

/** What each runtime can be asked to run on (node-llama-cpp names its GPU backends itself). */
const PROVIDERS: Record<"onnx" | "llama", string[]> = {
  onnx: ["cpu", "cuda", "dml", "coreml", "openvino"],
  llama: ["cpu", "cuda", "vulkan", "metal"],
};

/**
 * The knobs of a run. The kind is chosen by the caller (a benchmark button, an evaluate button); `runtime` is the
 * chosen version's, when known: a language model asks for token counts instead of a batch size.
 */
export function SpecFields({
  value,
  onChange,
  disabled,
  idPrefix = "spec",
  runtime,
}: {
  value: SpecDraft;
  onChange: (next: SpecDraft) => void;
  disabled?: boolean;
  idPrefix?: string;
  runtime?: ModelRuntime | null;
}) {
  const set = (patch: Partial<SpecDraft>) => onChange({ ...value, ...patch });
  const benchmark = value.kind === "benchmark";
  const llm = isLanguageModel(runtime);
  const providers = PROVIDERS[llm ? "llama" : "onnx"];
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
      {llm ? (
        <>
          <Field
            id={`${idPrefix}-prompt-tokens`}
            label="Prompt tokens"
            type="number"
            min={1}
            max={32_768}
            value={value.promptTokens ?? ""}
            onChange={(e) => set({ promptTokens: e.target.value })}
            hint="read before the first token"
          />
          <Field
            id={`${idPrefix}-generate-tokens`}
            label="Tokens to generate"
            type="number"
            min={1}
            max={8_192}
            value={value.generateTokens ?? ""}
            onChange={(e) => set({ generateTokens: e.target.value })}
            hint="per measured run"
          />
        </>
      ) : (
        <Field
          id={`${idPrefix}-batch`}
          label="Batch size"
          type="number"
          min={1}
          value={value.batchSize}
          onChange={(e) => set({ batchSize: e.target.value })}
        />
      )}
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
          {/* A provider chosen for another runtime stays listed, so the select never shows a value it lacks. */}
          {[...new Set([...providers, value.executionProvider])].map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
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
