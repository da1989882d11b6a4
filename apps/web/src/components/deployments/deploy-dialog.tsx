"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import type { ModelVersionInfo } from "@/components/models/api-types";
import { Button } from "@/components/ui/button";
import { Field, SelectField } from "@/components/ui/field";
import { Modal } from "@/components/ui/modal";
import { ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { FitList, useFitCheck } from "./fit-check";
import { draftTarget, EMPTY_TARGET, type TargetDraft, TargetPicker } from "./target-picker";

interface GateDraft {
  on: boolean;
  maxP95RegressionPct: string;
  minAccuracyPct: string;
  iterations: string;
}

const GATE_DEFAULT: GateDraft = { on: false, maxP95RegressionPct: "20", minAccuracyPct: "", iterations: "20" };

function parseGate(g: GateDraft): {
  gate: { maxP95RegressionPct: number; minAccuracy?: number; iterations: number } | null;
  error: string | null;
} {
  if (!g.on) return { gate: null, error: null };
  const p95 = Number(g.maxP95RegressionPct);
  if (g.maxP95RegressionPct.trim() === "" || !Number.isFinite(p95) || p95 < 0 || p95 > 1000) {
    return { gate: null, error: "The largest p95 regression is a percentage from 0 to 1000." };
  }
  const iterations = Number(g.iterations);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 100_000) {
    return { gate: null, error: "The gate's benchmark needs a whole number of iterations from 1 to 100000." };
  }
  if (g.minAccuracyPct.trim() === "") return { gate: { maxP95RegressionPct: p95, iterations }, error: null };
  const acc = Number(g.minAccuracyPct);
  if (!Number.isFinite(acc) || acc < 0 || acc > 100) {
    return { gate: null, error: "The accuracy floor is a percentage from 0 to 100, or empty for none." };
  }
  return { gate: { maxP95RegressionPct: p95, minAccuracy: acc / 100, iterations }, error: null };
}

/** Deploy a version: pick a target, see which devices it fits (and why not), choose waves and a gate. */
export function DeployDialog({
  open,
  versions,
  initialVersionId,
  onClose,
}: {
  open: boolean;
  versions: ModelVersionInfo[];
  initialVersionId: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [versionId, setVersionId] = useState(initialVersionId);
  const [target, setTarget] = useState<TargetDraft>(EMPTY_TARGET);
  const [waves, setWaves] = useState("1");
  const [gate, setGate] = useState<GateDraft>(GATE_DEFAULT);
  const [formError, setFormError] = useState<string | null>(null);
  const chosen = draftTarget(target);
  const fit = useFitCheck(versionId, chosen);
  const create = useMutation(
    trpc.deployment.create.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.deployment.pathKey() });
        router.push(`/deployments/${created.id}`);
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return setFormError("Choose where to deploy it.");
    const w = Number(waves);
    if (!Number.isInteger(w) || w < 1 || w > 10) return setFormError("Waves is a whole number from 1 to 10.");
    const g = parseGate(gate);
    if (g.error) return setFormError(g.error);
    if (g.gate && w < 2)
      return setFormError("A gate sits between waves: choose at least 2 waves, or turn the gate off.");
    setFormError(null);
    create.mutate({ versionId, target: chosen, strategy: { waves: w, gate: g.gate } });
  }

  const fitsNone = fit.data !== undefined && fit.data.fits.length === 0;
  const busy = create.isPending || create.isSuccess;
  return (
    <Modal
      open={open}
      title="Deploy"
      busy={busy}
      onClose={onClose}
      wide
      testId="deploy-dialog"
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            variant="primary"
            type="submit"
            form="deploy-form"
            disabled={busy || !chosen || !fit.data || fitsNone}
            data-testid="deploy-submit"
          >
            {busy
              ? "Deploying…"
              : fit.data && fit.data.fits.length > 0
                ? `Deploy to ${fit.data.fits.length} ${fit.data.fits.length === 1 ? "device" : "devices"}`
                : "Deploy"}
          </Button>
        </>
      }
    >
      <form id="deploy-form" onSubmit={submit} className="space-y-4" noValidate>
        <SelectField
          label="Version"
          value={versionId}
          disabled={busy}
          data-testid="deploy-version"
          onChange={(e) => setVersionId(e.target.value)}
        >
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              {v.variant} ({v.format}, {v.runtime})
            </option>
          ))}
        </SelectField>
        <TargetPicker value={target} onChange={setTarget} disabled={busy} />
        <div className="rounded-md bg-slate-50 p-3">
          <FitList check={fit} />
        </div>
        <fieldset className="space-y-3" disabled={busy}>
          <legend className="mb-1 text-sm font-medium text-slate-700">Rollout</legend>
          <Field
            id="deploy-waves"
            label="Waves"
            type="number"
            min={1}
            max={10}
            value={waves}
            onChange={(e) => setWaves(e.target.value)}
            hint="1 deploys to every device at once; more splits the devices into waves, one after another."
            className="max-w-xs"
          />
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={gate.on}
              data-testid="deploy-gate"
              onChange={(e) => setGate({ ...gate, on: e.target.checked })}
            />
            Gate between waves: benchmark the finished wave, and stop if it got worse
          </label>
          {gate.on && (
            <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
              <Field
                id="gate-p95"
                label="Max p95 regression (%)"
                type="number"
                min={0}
                value={gate.maxP95RegressionPct}
                onChange={(e) => setGate({ ...gate, maxP95RegressionPct: e.target.value })}
              />
              <Field
                id="gate-accuracy"
                label="Accuracy floor (%)"
                type="number"
                min={0}
                max={100}
                value={gate.minAccuracyPct}
                placeholder="none"
                onChange={(e) => setGate({ ...gate, minAccuracyPct: e.target.value })}
              />
              <Field
                id="gate-iterations"
                label="Gate iterations"
                type="number"
                min={1}
                value={gate.iterations}
                onChange={(e) => setGate({ ...gate, iterations: e.target.value })}
              />
            </div>
          )}
        </fieldset>
        {formError && <ErrorNotice>{formError}</ErrorNotice>}
        {create.error && <ErrorNotice testId="deploy-error">{errorMessage(create.error)}</ErrorNotice>}
      </form>
    </Modal>
  );
}
