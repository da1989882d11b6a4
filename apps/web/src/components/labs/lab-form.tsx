"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ErrorNotice } from "../ui/notice";
import { inputErrorMessage as errorMessage } from "./input-error";
import { type LabShape, LabShapeFields, labShapeInput } from "./lab-shape-fields";

/** Creates a lab with its seat grid, then opens its room map. */
export function CreateLabForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [shape, setShape] = useState<LabShape>({ name: "", rows: "4", cols: "6" });
  const create = useMutation(
    trpc.lab.create.mutationOptions({
      onSuccess: async (lab) => {
        await queryClient.invalidateQueries({ queryKey: trpc.lab.list.queryKey() });
        router.push(`/labs/${encodeURIComponent(lab.id)}`);
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(labShapeInput(shape));
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" data-testid="create-lab-form">
      <LabShapeFields
        idPrefix="lab"
        shape={shape}
        onChange={setShape}
        rowsLabel="Rows (A–Z)"
        gridFieldClass="w-28"
        nameMaxLength={80}
      />
      <Button type="submit" variant="primary" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create lab"}
      </Button>
      {create.error && <ErrorNotice className="w-full">{errorMessage(create.error)}</ErrorNotice>}
    </form>
  );
}
