"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Field } from "../ui/field";
import { Card, ErrorNotice } from "../ui/notice";

type Instructor = RouterOutputs["class"]["get"]["instructors"][number];

/** Who teaches the class: add a colleague by username or e-mail; the last instructor cannot be removed. */
export function InstructorsCard({
  classId,
  instructors,
  currentUserId,
}: {
  classId: string;
  instructors: Instructor[];
  currentUserId: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [user, setUser] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Instructor | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() });
  const add = useMutation(
    trpc.class.addInstructor.mutationOptions({
      onSuccess: async () => {
        setUser("");
        await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.class.removeInstructor.mutationOptions({
      onSuccess: async (_data, vars) => {
        setRemoving(null);
        // Removing oneself ends access to the class: leave for the list.
        if (vars.userId === currentUserId) window.location.assign("/classes");
        else await refresh();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    if (user.trim() === "") {
      setFieldError("Give the username or e-mail of an instructor account.");
      return;
    }
    setFieldError(null);
    add.mutate({ classId, user: user.trim() });
  }
  const last = instructors.length <= 1;
  return (
    <Card title="Instructors">
      <ul className="divide-y divide-slate-100 text-sm" data-testid="instructor-list">
        {instructors.map((i) => (
          <li key={i.id} className="flex items-center justify-between gap-2 py-2" data-testid="instructor-row">
            <div className="min-w-0">
              <div className="truncate font-medium text-slate-900">
                {i.name}
                {i.id === currentUserId && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
              </div>
              <div className="truncate text-xs text-slate-500">{i.username ?? i.email}</div>
            </div>
            <Button
              size="sm"
              variant="ghost"
              disabled={last}
              className="disabled:opacity-40"
              title={last ? "A class needs at least one instructor" : undefined}
              onClick={() => setRemoving(i)}
            >
              Remove
            </Button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} noValidate className="mt-3 flex items-start gap-2">
        <Field
          id="add-instructor"
          label={<span className="sr-only">Username or e-mail</span>}
          placeholder="Username or e-mail"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          error={fieldError}
          maxLength={254}
          className="flex-1"
        />
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add"}
        </Button>
      </form>
      {add.error && <ErrorNotice className="mt-2">{inputErrorMessage(add.error)}</ErrorNotice>}
      <ConfirmDialog
        open={removing !== null}
        title="Remove this instructor?"
        confirmLabel="Remove"
        busy={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => removing && remove.mutate({ classId, userId: removing.id })}
        onCancel={() => setRemoving(null)}
      >
        {removing?.id === currentUserId
          ? "You will no longer see or teach this class."
          : `${removing?.name ?? "They"} will no longer see or teach this class.`}
      </ConfirmDialog>
    </Card>
  );
}
