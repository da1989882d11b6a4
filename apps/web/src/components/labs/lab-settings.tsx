"use client";

import type { Lab } from "@labfleet/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Field } from "../ui/field";
import { ErrorNotice } from "../ui/notice";
import { inputErrorMessage as errorMessage } from "./input-error";
import { type LabShape, LabShapeFields, labShapeInput } from "./lab-shape-fields";

/** Rename, resize, hot threshold, delete. */
export function LabSettings({ lab, onSaved }: { lab: Lab; onSaved: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [shape, setShape] = useState<LabShape>({ name: lab.name, rows: String(lab.rows), cols: String(lab.cols) });
  const [hot, setHot] = useState(String(lab.hotTempC));
  const [confirming, setConfirming] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.lab.list.queryKey() });
  const update = useMutation(
    trpc.lab.update.mutationOptions({
      onSuccess: () => {
        onSaved();
        return invalidate();
      },
    }),
  );
  const remove = useMutation(
    trpc.lab.delete.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        router.push("/labs");
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    update.mutate({ id: lab.id, ...labShapeInput(shape), hotTempC: Number(hot) });
  }
  return (
    <>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3" data-testid="lab-settings">
        <LabShapeFields idPrefix="lab-edit" shape={shape} onChange={setShape} />
        <Field
          id="lab-edit-hot"
          label="Hot at (°C)"
          type="number"
          min={30}
          max={120}
          value={hot}
          onChange={(e) => setHot(e.target.value)}
          className="w-28"
        />
        <Button type="submit" variant="primary" disabled={update.isPending}>
          Save
        </Button>
        <Button variant="danger" onClick={() => setConfirming(true)} disabled={remove.isPending}>
          Delete lab
        </Button>
        {(update.error || remove.error) && (
          <ErrorNotice className="w-full">{errorMessage(update.error ?? remove.error)}</ErrorNotice>
        )}
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Delete ${lab.name}?`}
        confirmLabel="Delete lab"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          remove.mutate({ id: lab.id });
        }}
      >
        Its seats are removed; its devices stay enrolled, with no lab.
      </ConfirmDialog>
    </>
  );
}
