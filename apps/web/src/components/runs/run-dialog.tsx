"use client";

import type { RunKind } from "@labfleet/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import type { ModelVersionInfo } from "@/components/models/api-types";
import { hasEvalSet } from "@/components/models/model-meta";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { Modal } from "@/components/ui/modal";
import { ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { defaultSpec, parseSpec, SpecFields } from "./spec-fields";

/** Benchmark or evaluate one version on one device; opens the run's live page once the server accepts it. */
export function RunDialog({
  open,
  kind,
  versions,
  initialVersionId,
  onClose,
}: {
  open: boolean;
  kind: RunKind;
  versions: ModelVersionInfo[];
  initialVersionId: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const devices = useQuery({ ...trpc.device.list.queryOptions(), enabled: open });
  const [versionId, setVersionId] = useState(initialVersionId);
  const [deviceId, setDeviceId] = useState("");
  const [spec, setSpec] = useState(() => defaultSpec(kind));
  const [formError, setFormError] = useState<string | null>(null);
  const start = useMutation(
    trpc.run.start.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.run.pathKey() });
        router.push(`/runs/${created.id}`);
      },
    }),
  );
  // Devices that already hold the version run it without a download first: they are marked.
  const deployments = useQuery({ ...trpc.deployment.list.queryOptions({ versionId }), enabled: open });
  const ready = new Set(
    (deployments.data ?? []).flatMap((d) => d.devices.filter((x) => x.state === "ready").map((x) => x.deviceId)),
  );
  const online = (devices.data ?? [])
    .filter((d) => d.status === "online")
    .sort((a, b) => Number(ready.has(b.id)) - Number(ready.has(a.id)));
  const choices = kind === "evaluation" ? versions.filter(hasEvalSet) : versions;
  const version = versions.find((v) => v.id === versionId);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!deviceId) return setFormError("Choose a device.");
    const parsed = parseSpec(spec, version?.runtime);
    if (!parsed.spec) return setFormError(parsed.error);
    setFormError(null);
    start.mutate({ versionId, deviceId, spec: parsed.spec });
  }

  const busy = start.isPending || start.isSuccess;
  const title = kind === "benchmark" ? "Benchmark on a device" : "Evaluate on a device";
  return (
    <Modal
      open={open}
      title={title}
      busy={busy}
      onClose={onClose}
      wide
      testId="run-dialog"
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="run-form" disabled={busy || !deviceId} data-testid="run-submit">
            {busy ? "Starting…" : kind === "benchmark" ? "Start benchmark" : "Start evaluation"}
          </Button>
        </>
      }
    >
      <form id="run-form" onSubmit={submit} className="space-y-4" noValidate>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <SelectField
            label="Version"
            value={versionId}
            disabled={busy}
            data-testid="run-version"
            onChange={(e) => setVersionId(e.target.value)}
          >
            {choices.map((v) => (
              <option key={v.id} value={v.id}>
                {v.variant} ({v.format})
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Device"
            value={deviceId}
            disabled={busy}
            data-testid="run-device"
            onChange={(e) => setDeviceId(e.target.value)}
            hint={devices.data && online.length === 0 ? "No device is online right now." : null}
          >
            <option value="">{devices.data ? "Choose an online device…" : "Loading devices…"}</option>
            {online.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
                {ready.has(d.id) ? " (holds this version)" : ""}
              </option>
            ))}
          </SelectField>
        </div>
        <SpecFields
          value={spec}
          onChange={setSpec}
          disabled={busy}
          idPrefix={`run-${kind}`}
          runtime={version?.runtime}
        />
        <p className="text-xs text-slate-500">
          The device fetches the version first if it does not hold it yet; deploy it beforehand to keep the download out
          of the run.
        </p>
        {devices.error && <ErrorNotice>{errorMessage(devices.error)}</ErrorNotice>}
        {formError && <ErrorNotice>{formError}</ErrorNotice>}
        {start.error && <ErrorNotice testId="run-error">{errorMessage(start.error)}</ErrorNotice>}
      </form>
    </Modal>
  );
}
