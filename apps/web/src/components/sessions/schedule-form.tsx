"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Field, SelectField } from "../ui/field";
import { ErrorNotice } from "../ui/notice";
import { type Draft, type Errors, nextHour, validateSchedule } from "./schedule-validation";

/** Schedules a lab session for a class: a lab, a time window, optionally an assignment and an automatic start. */
export function ScheduleSessionForm({ classId, onDone }: { classId: string; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const labs = useQuery(trpc.lab.choices.queryOptions());
  const assignments = useQuery(trpc.assignment.list.queryOptions({ classId }));
  const [draft, setDraft] = useState<Draft>({
    title: "",
    labId: "",
    startsAt: nextHour(0),
    endsAt: nextHour(1),
    assignmentId: "",
    autoStart: false,
  });
  const [errors, setErrors] = useState<Errors>({});
  const schedule = useMutation(
    trpc.labSession.schedule.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.labSession.list.queryKey({ classId }) });
        setDraft((d) => ({ ...d, title: "" }));
        onDone?.();
      },
    }),
  );
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateSchedule(draft);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    schedule.mutate({
      classId,
      labId: draft.labId,
      title: draft.title.trim(),
      startsAt: new Date(draft.startsAt),
      endsAt: new Date(draft.endsAt),
      assignmentId: draft.assignmentId || null,
      autoStart: draft.autoStart,
    });
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-2" data-testid="schedule-session-form">
      <Field
        id="session-title"
        label="Title"
        value={draft.title}
        maxLength={120}
        onChange={(e) => set("title", e.target.value)}
        error={errors.title}
        placeholder="Week 3: quantisation"
      />
      <div>
        <SelectField
          label="Lab"
          value={draft.labId}
          onChange={(e) => set("labId", e.target.value)}
          aria-invalid={errors.labId ? true : undefined}
          data-testid="session-lab"
          hint={labs.data?.length === 0 ? "No labs yet: create one under Labs first." : undefined}
        >
          <option value="">Choose a lab…</option>
          {labs.data?.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name} ({l.deviceCount} devices)
            </option>
          ))}
        </SelectField>
        {errors.labId && <p className="mt-1 text-xs text-red-700">{errors.labId}</p>}
      </div>
      <Field
        id="session-starts"
        type="datetime-local"
        label="Starts"
        value={draft.startsAt}
        onChange={(e) => set("startsAt", e.target.value)}
        error={errors.startsAt}
      />
      <Field
        id="session-ends"
        type="datetime-local"
        label="Ends"
        value={draft.endsAt}
        onChange={(e) => set("endsAt", e.target.value)}
        error={errors.endsAt}
      />
      <SelectField
        label="Assignment (optional)"
        value={draft.assignmentId}
        onChange={(e) => set("assignmentId", e.target.value)}
        data-testid="session-assignment"
        hint="Its models are deployed to every seat that lacks them when the session begins."
      >
        <option value="">None</option>
        {assignments.data?.map((a) => (
          <option key={a.id} value={a.id}>
            {a.title}
          </option>
        ))}
      </SelectField>
      <label className="flex items-center gap-2 self-center text-sm text-slate-700">
        <input
          type="checkbox"
          checked={draft.autoStart}
          onChange={(e) => set("autoStart", e.target.checked)}
          data-testid="session-autostart"
        />
        Start and end automatically at these times
      </label>
      <div className="flex items-center gap-3 sm:col-span-2">
        <Button type="submit" variant="primary" disabled={schedule.isPending}>
          {schedule.isPending ? "Scheduling…" : "Schedule session"}
        </Button>
      </div>
      {(schedule.error || labs.error) && (
        <ErrorNotice className="sm:col-span-2">{errorMessage(schedule.error ?? labs.error)}</ErrorNotice>
      )}
    </form>
  );
}
