"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { ErrorNotice } from "../ui/notice";
import { inputErrorMessage as errorMessage } from "./input-error";

/** Creates a lab with its seat grid, then opens its room map. */
export function CreateLabForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState("");
  const [rows, setRows] = useState("4");
  const [cols, setCols] = useState("6");
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
    create.mutate({ name, rows: Number(rows), cols: Number(cols) });
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" data-testid="create-lab-form">
      <Field
        id="lab-name"
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={80}
      />
      <Field
        id="lab-rows"
        label="Rows (A–Z)"
        type="number"
        min={1}
        max={26}
        value={rows}
        onChange={(e) => setRows(e.target.value)}
        className="w-28"
      />
      <Field
        id="lab-cols"
        label="Columns"
        type="number"
        min={1}
        max={20}
        value={cols}
        onChange={(e) => setCols(e.target.value)}
        className="w-28"
      />
      <Button type="submit" variant="primary" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create lab"}
      </Button>
      {create.error && <ErrorNotice className="w-full">{errorMessage(create.error)}</ErrorNotice>}
    </form>
  );
}
