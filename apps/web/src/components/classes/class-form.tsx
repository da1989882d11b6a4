"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { ErrorNotice } from "../ui/notice";

export const CLASS_NAME_MAX = 120;
export const CLASS_TERM_MAX = 60;

export interface ClassFields {
  name: string;
  term: string;
}

/** The messages a person sees before anything is sent (the server checks the same again). */
export function classFieldErrors(fields: ClassFields): Partial<Record<keyof ClassFields, string>> {
  const errors: Partial<Record<keyof ClassFields, string>> = {};
  if (fields.name.trim() === "") errors.name = "A class needs a name.";
  else if (fields.name.trim().length > CLASS_NAME_MAX) errors.name = `At most ${CLASS_NAME_MAX} characters.`;
  if (fields.term.trim() === "") errors.term = "Say which term, e.g. Fall 2026.";
  else if (fields.term.trim().length > CLASS_TERM_MAX) errors.term = `At most ${CLASS_TERM_MAX} characters.`;
  return errors;
}

/** The name and term inputs of a class, for creating one and for editing one. */
export function ClassFieldInputs({
  idPrefix,
  fields,
  errors,
  onChange,
  placeholders = false,
}: {
  idPrefix: string;
  fields: ClassFields;
  errors: Partial<Record<keyof ClassFields, string>>;
  onChange: (fields: ClassFields) => void;
  /** Shows example values in the empty inputs. */
  placeholders?: boolean;
}) {
  return (
    <>
      <Field
        id={`${idPrefix}-name`}
        label="Name"
        placeholder={placeholders ? "Edge AI 101" : undefined}
        value={fields.name}
        onChange={(e) => onChange({ ...fields, name: e.target.value })}
        error={errors.name}
        maxLength={CLASS_NAME_MAX}
        className="min-w-56 flex-1"
      />
      <Field
        id={`${idPrefix}-term`}
        label="Term"
        placeholder={placeholders ? "Fall 2026" : undefined}
        value={fields.term}
        onChange={(e) => onChange({ ...fields, term: e.target.value })}
        error={errors.term}
        maxLength={CLASS_TERM_MAX}
        className="w-48"
      />
    </>
  );
}

/** Creates a class taught by the person creating it, then opens it. */
export function CreateClassForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [fields, setFields] = useState<ClassFields>({ name: "", term: "" });
  const [touched, setTouched] = useState(false);
  const errors = touched ? classFieldErrors(fields) : {};
  const create = useMutation(
    trpc.class.create.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.class.list.queryKey() });
        router.push(`/classes/${encodeURIComponent(created.id)}`);
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(classFieldErrors(fields)).length > 0) return;
    create.mutate({ name: fields.name.trim(), term: fields.term.trim() });
  }
  return (
    <form onSubmit={submit} noValidate className="flex flex-wrap items-start gap-3" data-testid="create-class-form">
      <ClassFieldInputs idPrefix="class" fields={fields} errors={errors} onChange={setFields} placeholders />
      <Button type="submit" variant="primary" disabled={create.isPending} className="mt-6">
        {create.isPending ? "Creating…" : "Create class"}
      </Button>
      {create.error && <ErrorNotice className="w-full">{inputErrorMessage(create.error)}</ErrorNotice>}
    </form>
  );
}
