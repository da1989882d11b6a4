"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { errorMessage } from "@/lib/errors";
import { applyDeviceSummary } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";

/** Same bounds as the server's device name schema. */
export const DEVICE_NAME_MAX = 80;

export function validateDeviceName(raw: string): string | null {
  const name = raw.trim();
  if (name.length === 0) return "A device needs a name.";
  if (name.length > DEVICE_NAME_MAX) return `At most ${DEVICE_NAME_MAX} characters.`;
  return null;
}

/** Inline rename: replaces the title while open; Escape cancels. */
export function RenameForm({
  deviceId,
  currentName,
  onDone,
}: {
  deviceId: string;
  currentName: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(currentName);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  // The form opens because the person asked to rename: put them in the field with the old name selected.
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  const rename = useMutation(
    trpc.device.rename.mutationOptions({
      onSuccess: async (summary) => {
        applyDeviceSummary(summary);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.device.get.queryKey({ id: deviceId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.device.list.queryKey() }),
        ]);
        onDone();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const problem = validateDeviceName(name);
    setError(problem);
    if (problem) return;
    if (name.trim() === currentName) {
      onDone();
      return;
    }
    rename.mutate({ id: deviceId, name: name.trim() });
  }

  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-wrap items-start gap-2" aria-label="Rename device">
      <div className="w-full max-w-sm">
        <label htmlFor="device-name" className="sr-only">
          Device name
        </label>
        <input
          id="device-name"
          className={inputClass}
          value={name}
          maxLength={DEVICE_NAME_MAX + 20}
          ref={inputRef}
          onChange={(e) => {
            setName(e.target.value);
            if (error) setError(validateDeviceName(e.target.value));
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") onDone();
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "device-name-error" : undefined}
          disabled={rename.isPending}
        />
        {error && (
          <p id="device-name-error" className="mt-1 text-xs text-red-700">
            {error}
          </p>
        )}
      </div>
      <Button type="submit" variant="primary" disabled={rename.isPending}>
        {rename.isPending ? "Saving…" : "Save"}
      </Button>
      <Button onClick={onDone} disabled={rename.isPending}>
        Cancel
      </Button>
    </form>
  );
}
