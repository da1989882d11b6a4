"use client";

import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";

export interface WebhookValues {
  name: string;
  url: string;
}

/** The same check as the server: a name, and an http:// or https:// address. */
export function validateWebhook(v: WebhookValues): Partial<Record<keyof WebhookValues, string>> {
  const errors: Partial<Record<keyof WebhookValues, string>> = {};
  if (!v.name.trim()) errors.name = "Give the webhook a name.";
  else if (v.name.trim().length > 80) errors.name = "At most 80 characters.";
  let ok = false;
  try {
    const u = new URL(v.url.trim());
    ok = u.protocol === "http:" || u.protocol === "https:";
  } catch {
    ok = false;
  }
  if (!ok) errors.url = "Give an http:// or https:// address.";
  return errors;
}

export function WebhookForm({
  initial,
  submitLabel,
  busy,
  onSubmit,
  onCancel,
  idPrefix,
}: {
  initial: WebhookValues;
  submitLabel: string;
  busy: boolean;
  onSubmit: (v: WebhookValues) => void;
  onCancel?: () => void;
  idPrefix: string;
}) {
  const [values, setValues] = useState(initial);
  const [tried, setTried] = useState(false);
  const errors = tried ? validateWebhook(values) : {};
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setTried(true);
    if (Object.keys(validateWebhook(values)).length > 0) return;
    onSubmit({ name: values.name.trim(), url: values.url.trim() });
  }
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 md:grid-cols-[1fr_2fr_auto] md:items-start">
      <Field
        id={`${idPrefix}-name`}
        label="Name"
        placeholder="Staff chat"
        value={values.name}
        error={errors.name}
        disabled={busy}
        data-testid="webhook-name"
        onChange={(e) => setValues({ ...values, name: e.target.value })}
      />
      <Field
        id={`${idPrefix}-url`}
        label="URL"
        placeholder="https://chat.example.org/hooks/labfleet"
        value={values.url}
        error={errors.url}
        disabled={busy}
        data-testid="webhook-url"
        onChange={(e) => setValues({ ...values, url: e.target.value })}
      />
      <div className="flex gap-2 md:pt-6">
        <Button type="submit" variant="primary" disabled={busy} data-testid="webhook-submit">
          {busy ? "Saving…" : submitLabel}
        </Button>
        {onCancel && (
          <Button onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
