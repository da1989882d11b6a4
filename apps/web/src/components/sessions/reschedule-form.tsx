"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { ErrorNotice } from "../ui/notice";
import { localInput, validateWindow, type WindowErrors } from "./schedule-validation";

/** Moves a scheduled session to a new window: the two times, checked here as the server checks them. */
export function RescheduleSessionForm({
  session,
  onDone,
}: {
  session: { id: string; title: string; startsAt: Date; endsAt: Date };
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [startsAt, setStartsAt] = useState(() => localInput(session.startsAt));
  const [endsAt, setEndsAt] = useState(() => localInput(session.endsAt));
  const [errors, setErrors] = useState<WindowErrors>({});
  const move = useMutation(
    trpc.labSession.reschedule.mutationOptions({
      onSuccess: async () => {
        // The class's list, the session's page and the students' home all show the window.
        await queryClient.invalidateQueries({ queryKey: trpc.labSession.pathKey() });
        onDone();
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateWindow(startsAt, endsAt);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    move.mutate({ id: session.id, startsAt: new Date(startsAt), endsAt: new Date(endsAt) });
  }

  const idBase = `reschedule-${session.id}`;
  return (
    <form
      onSubmit={submit}
      noValidate
      className="grid gap-3 sm:grid-cols-2"
      aria-label={`Reschedule ${session.title}`}
      data-testid="reschedule-session-form"
    >
      <Field
        id={`${idBase}-starts`}
        type="datetime-local"
        label="New start"
        value={startsAt}
        onChange={(e) => setStartsAt(e.target.value)}
        error={errors.startsAt}
      />
      <Field
        id={`${idBase}-ends`}
        type="datetime-local"
        label="New end"
        value={endsAt}
        onChange={(e) => setEndsAt(e.target.value)}
        error={errors.endsAt}
      />
      <div className="flex items-center gap-2 sm:col-span-2">
        <Button type="submit" variant="primary" size="sm" disabled={move.isPending}>
          {move.isPending ? "Saving…" : "Save new time"}
        </Button>
        <Button size="sm" variant="ghost" onClick={onDone} disabled={move.isPending}>
          Keep the old time
        </Button>
      </div>
      {move.error && <ErrorNotice className="sm:col-span-2">{errorMessage(move.error)}</ErrorNotice>}
    </form>
  );
}
