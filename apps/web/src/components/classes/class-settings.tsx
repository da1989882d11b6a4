"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ErrorNotice } from "../ui/notice";
import { ClassFieldInputs, type ClassFields, classFieldErrors } from "./class-form";

type ClassDetail = RouterOutputs["class"]["get"];

/** Name, term and the leaderboard switch of a class. */
export function ClassSettings({ cls, onDone }: { cls: ClassDetail; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<ClassFields>({ name: cls.name, term: cls.term });
  const [leaderboard, setLeaderboard] = useState(cls.leaderboardEnabled);
  const [touched, setTouched] = useState(false);
  const errors = touched ? classFieldErrors(fields) : {};
  const update = useMutation(
    trpc.class.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() });
        onDone();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(classFieldErrors(fields)).length > 0) return;
    update.mutate({ id: cls.id, name: fields.name.trim(), term: fields.term.trim(), leaderboardEnabled: leaderboard });
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-3" data-testid="class-settings-form">
      <div className="flex flex-wrap gap-3">
        <ClassFieldInputs idPrefix="class-settings" fields={fields} errors={errors} onChange={setFields} />
      </div>
      <label className="flex items-start gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          className="mt-0.5"
          checked={leaderboard}
          onChange={(e) => setLeaderboard(e.target.checked)}
          data-testid="class-leaderboard-toggle"
        />
        <span>
          Show a class leaderboard to students
          <span className="block text-xs text-slate-500">Students see the best results of their classmates.</span>
        </span>
      </label>
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save"}
        </Button>
        <Button onClick={onDone} disabled={update.isPending}>
          Cancel
        </Button>
      </div>
      {update.error && <ErrorNotice>{inputErrorMessage(update.error)}</ErrorNotice>}
    </form>
  );
}
