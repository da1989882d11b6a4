"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { ErrorNotice } from "../ui/notice";

/** Join codes as the server accepts them: 6 to 8 letters and digits; spaces and dashes are ignored. */
export function normalizeJoinCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/** A student joins a class with the code their instructor shows. */
export function JoinClassForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const join = useMutation(
    trpc.class.join.mutationOptions({
      onSuccess: async () => {
        setCode("");
        await queryClient.invalidateQueries({ queryKey: trpc.class.list.queryKey() });
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    const normalized = normalizeJoinCode(code);
    if (!/^[A-Z0-9]{6,8}$/.test(normalized)) {
      setError("A join code has 6 to 8 letters and digits.");
      return;
    }
    setError(null);
    join.mutate({ code: normalized });
  }
  return (
    <form onSubmit={submit} noValidate className="flex flex-wrap items-start gap-3" data-testid="join-class-form">
      <Field
        id="join-code"
        label="Join code"
        placeholder="e.g. K7TQ9M"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        error={error}
        maxLength={16}
        autoComplete="off"
        autoCapitalize="characters"
        className="w-48"
      />
      <Button type="submit" variant="primary" disabled={join.isPending} className="mt-6">
        {join.isPending ? "Joining…" : "Join class"}
      </Button>
      {join.error && <ErrorNotice className="w-full">{inputErrorMessage(join.error)}</ErrorNotice>}
      {join.data && (
        <p role="status" className="w-full text-sm text-emerald-800" data-testid="join-result">
          {join.data.alreadyJoined ? "You were already in" : "You joined"} {join.data.name} ({join.data.term}).
        </p>
      )}
    </form>
  );
}
