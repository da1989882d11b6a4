"use client";

import type { RunKind } from "@labfleet/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { hasEvalSet } from "@/components/models/model-meta";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { Modal } from "@/components/ui/modal";
import { ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { defaultSpec, parseSpec, SpecFields } from "./spec-fields";

interface Skipped {
  deviceId: string;
  name: string;
  reason: string;
}

function RoomBenchmarkForm({ labId, onClose }: { labId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const models = useQuery(trpc.model.list.queryOptions());
  const [versionId, setVersionId] = useState("");
  const [spec, setSpec] = useState(() => defaultSpec("benchmark"));
  const [formError, setFormError] = useState<string | null>(null);
  const [skipped, setSkipped] = useState<{ groupId: string; list: Skipped[] } | null>(null);
  const start = useMutation(
    trpc.run.startRoom.mutationOptions({
      onSuccess: async (res) => {
        await queryClient.invalidateQueries({ queryKey: trpc.run.pathKey() });
        // Devices that could not take part are worth a look before the results page; otherwise go straight there.
        if (res.skipped.length > 0) setSkipped({ groupId: res.groupId, list: res.skipped });
        else router.push(`/runs/group/${res.groupId}`);
      },
    }),
  );
  const version = models.data?.flatMap((m) => m.versions).find((v) => v.id === versionId);
  const canEvaluate = version !== undefined && hasEvalSet(version);

  function setKind(kind: RunKind) {
    setSpec({ ...defaultSpec(kind), threads: spec.threads, executionProvider: spec.executionProvider });
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!versionId) return setFormError("Choose a model version.");
    if (spec.kind === "evaluation" && !canEvaluate) {
      return setFormError("This version has no evaluation set: choose Benchmark, or another version.");
    }
    const parsed = parseSpec(spec, version?.runtime);
    if (!parsed.spec) return setFormError(parsed.error);
    setFormError(null);
    start.mutate({ versionId, labId, spec: parsed.spec });
  }

  const busy = start.isPending || (start.isSuccess && !skipped);
  if (skipped) {
    return (
      <div className="space-y-3" data-testid="room-skipped">
        <p className="text-sm text-slate-700">
          Started. {skipped.list.length} {skipped.list.length === 1 ? "device was" : "devices were"} left out:
        </p>
        <ul className="space-y-0.5 text-sm">
          {skipped.list.map((s) => (
            <li key={s.deviceId} className="text-slate-700">
              <strong>{s.name}</strong>: {s.reason}
            </li>
          ))}
        </ul>
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Close</Button>
          <Link
            href={`/runs/group/${skipped.groupId}`}
            className="rounded-md bg-sky-700 px-3.5 py-2 text-sm font-medium text-white hover:bg-sky-800"
          >
            Open the results
          </Link>
        </div>
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <p className="text-sm text-slate-600">
        Runs the same spec on every online device of this lab at once, then ranks them. Seats that throttled or ran hot
        during the run are flagged.
      </p>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <SelectField
          label="Model version"
          value={versionId}
          disabled={busy}
          data-testid="room-version"
          onChange={(e) => setVersionId(e.target.value)}
        >
          <option value="">{models.data ? "Choose a model…" : "Loading models…"}</option>
          {models.data?.map((m) => (
            <optgroup key={m.id} label={m.name}>
              {m.versions.map((v) => (
                <option key={v.id} value={v.id}>
                  {m.name} · {v.variant}
                </option>
              ))}
            </optgroup>
          ))}
        </SelectField>
        <SelectField
          label="Kind"
          value={spec.kind}
          disabled={busy}
          data-testid="room-kind"
          onChange={(e) => setKind(e.target.value as RunKind)}
        >
          <option value="benchmark">Benchmark</option>
          <option value="evaluation" disabled={!canEvaluate}>
            Evaluation{versionId && !canEvaluate ? " (no evaluation set)" : ""}
          </option>
        </SelectField>
      </div>
      <SpecFields value={spec} onChange={setSpec} disabled={busy} idPrefix="room" runtime={version?.runtime} />
      {models.error && <ErrorNotice>{errorMessage(models.error)}</ErrorNotice>}
      {formError && <ErrorNotice>{formError}</ErrorNotice>}
      {start.error && <ErrorNotice testId="room-error">{errorMessage(start.error)}</ErrorNotice>}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" disabled={busy || !versionId} data-testid="room-start">
          {busy ? "Starting…" : "Run on every online device"}
        </Button>
      </div>
    </form>
  );
}

/** The lab page's entry point for a room-wide benchmark: a button and its dialog. */
export function RoomBenchmarkButton({ labId }: { labId: string }) {
  const [open, setOpen] = useState(0);
  return (
    <>
      <Button onClick={() => setOpen(Date.now())} data-testid="room-benchmark">
        Room benchmark
      </Button>
      {open > 0 && (
        <Modal open title="Room-wide benchmark" onClose={() => setOpen(0)} wide testId="room-dialog">
          <RoomBenchmarkForm key={open} labId={labId} onClose={() => setOpen(0)} />
        </Modal>
      )}
    </>
  );
}
