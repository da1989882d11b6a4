"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, inputClass, SelectField } from "@/components/ui/field";
import { ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

/** The server's bounds (enrollmentToken.create). */
const LABEL_MAX = 80;
const MAX_HOURS = 720;
const MAX_USES = 1000;

export interface CreatedToken {
  id: string;
  token: string;
  label: string;
  expiresAt: Date;
}

interface Values {
  label: string;
  expiresIn: string;
  unit: "hours" | "days";
  maxUses: string;
  /** "" for none: the devices wait unplaced until someone puts them on a seat. */
  labId: string;
}

type Errors = Partial<Record<"label" | "expiresIn" | "maxUses" | "labId", string>>;

function isWholeNumber(raw: string): boolean {
  return /^\d+$/.test(raw.trim());
}

/** Checks the form the way the server will, so that a person learns what is wrong before sending it. */
export function validateTokenForm(
  v: Values,
  labRequired = false,
): {
  errors: Errors;
  input?: { label: string; expiresInHours: number; maxUses: number; labId: string | null };
} {
  const errors: Errors = {};
  const label = v.label.trim();
  if (!label) errors.label = "Give the token a label, for example the room it is for.";
  else if (label.length > LABEL_MAX) errors.label = `At most ${LABEL_MAX} characters.`;

  const amount = Number(v.expiresIn);
  const hours = v.unit === "days" ? amount * 24 : amount;
  if (!isWholeNumber(v.expiresIn) || amount < 1) errors.expiresIn = `Enter a whole number of ${v.unit}, at least 1.`;
  else if (hours > MAX_HOURS) errors.expiresIn = `At most ${MAX_HOURS} hours (30 days).`;

  const uses = Number(v.maxUses);
  if (!isWholeNumber(v.maxUses) || uses < 1 || uses > MAX_USES) {
    errors.maxUses = `Enter a whole number from 1 to ${MAX_USES}.`;
  }
  if (labRequired && !v.labId) errors.labId = "Choose one of your labs: the machines it enrolls go there.";
  if (Object.keys(errors).length > 0) return { errors };
  return { errors, input: { label, expiresInHours: hours, maxUses: uses, labId: v.labId || null } };
}

const INITIAL: Values = { label: "", expiresIn: "24", unit: "hours", maxUses: "30", labId: "" };

export function TokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>(INITIAL);
  const [errors, setErrors] = useState<Errors>({});
  const [submitted, setSubmitted] = useState(false);
  const me = useQuery(trpc.user.me.queryOptions());
  // The labs the person uses; an instructor's token must name one of them, an admin's may leave devices unplaced.
  const labs = useQuery(trpc.lab.list.queryOptions());
  const labRequired = me.data?.role !== "admin";
  const create = useMutation(
    trpc.enrollmentToken.create.mutationOptions({
      onSuccess: (created, input) => {
        onCreated({ id: created.id, token: created.token, label: input.label, expiresAt: created.expiresAt });
        setValues(INITIAL);
        setSubmitted(false);
        void queryClient.invalidateQueries({ queryKey: trpc.enrollmentToken.list.queryKey() });
      },
    }),
  );

  function update(patch: Partial<Values>) {
    const next = { ...values, ...patch };
    setValues(next);
    // Re-check as the person types only once they have tried to submit: no red text on an untouched form.
    if (submitted) setErrors(validateTokenForm(next, labRequired).errors);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    const { errors: found, input } = validateTokenForm(values, labRequired);
    setErrors(found);
    if (!input) return;
    create.mutate(input);
  }

  const busy = create.isPending;
  return (
    <form onSubmit={onSubmit} noValidate aria-label="Create an enrollment token" className="space-y-4">
      {create.error && <ErrorNotice>{errorMessage(create.error)}</ErrorNotice>}
      <div className="grid gap-4 md:grid-cols-[2fr_1.4fr_1fr_auto] md:items-start">
        <Field
          id="token-label"
          label="Label"
          placeholder="Room 204, spring term"
          value={values.label}
          onChange={(e) => update({ label: e.target.value })}
          error={errors.label}
          disabled={busy}
          data-testid="token-label"
        />
        <div>
          <label htmlFor="token-expires-in" className="mb-1 block text-sm font-medium text-slate-700">
            Expires in
          </label>
          <div className="flex gap-2">
            <input
              id="token-expires-in"
              inputMode="numeric"
              className={inputClass}
              value={values.expiresIn}
              onChange={(e) => update({ expiresIn: e.target.value })}
              aria-invalid={errors.expiresIn ? true : undefined}
              aria-describedby={errors.expiresIn ? "token-expires-in-error" : "token-expires-in-hint"}
              disabled={busy}
              data-testid="token-expires-in"
            />
            <label htmlFor="token-expires-unit" className="sr-only">
              Unit
            </label>
            <select
              id="token-expires-unit"
              className={`${inputClass} w-28 shrink-0`}
              value={values.unit}
              onChange={(e) => update({ unit: e.target.value === "days" ? "days" : "hours" })}
              disabled={busy}
              data-testid="token-expires-unit"
            >
              <option value="hours">hours</option>
              <option value="days">days</option>
            </select>
          </div>
          {errors.expiresIn ? (
            <p id="token-expires-in-error" className="mt-1 text-xs text-red-700">
              {errors.expiresIn}
            </p>
          ) : (
            <p id="token-expires-in-hint" className="mt-1 text-xs text-slate-500">
              Up to 30 days.
            </p>
          )}
        </div>
        <Field
          id="token-max-uses"
          label="Max uses"
          inputMode="numeric"
          value={values.maxUses}
          onChange={(e) => update({ maxUses: e.target.value })}
          error={errors.maxUses}
          hint="Machines it can enroll."
          disabled={busy}
          data-testid="token-max-uses"
        />
        <div className="md:pt-6">
          <Button
            type="submit"
            variant="primary"
            disabled={busy}
            className="w-full md:w-auto"
            data-testid="token-create"
          >
            {busy ? "Creating…" : "Create token"}
          </Button>
        </div>
      </div>
      <div className="md:max-w-sm">
        <SelectField
          label="Lab"
          value={values.labId}
          onChange={(e) => update({ labId: e.target.value })}
          hint={
            errors.labId ??
            (labs.data?.length === 0
              ? "No labs yet: create one under Labs first."
              : "The machines it enrolls are placed in this lab.")
          }
          aria-invalid={errors.labId ? true : undefined}
          disabled={busy}
          data-testid="token-lab"
        >
          <option value="">{labRequired ? "Choose a lab…" : "No lab: place the machines later"}</option>
          {labs.data?.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </SelectField>
      </div>
    </form>
  );
}
