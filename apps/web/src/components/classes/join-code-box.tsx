"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { CopyButton } from "../ui/copy-button";

/** The code students join with, and a way to replace it when it has leaked. */
export function JoinCodeBox({ classId, joinCode }: { classId: string; joinCode: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const regenerate = useMutation(
    trpc.class.regenerateJoinCode.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() });
      },
    }),
  );
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
      <span>Join code</span>
      <code
        className="rounded bg-slate-100 px-2 py-1 font-mono text-base font-semibold tracking-widest text-slate-900"
        data-testid="class-join-code"
      >
        {joinCode}
      </code>
      <CopyButton text={joinCode} />
      <Button size="sm" variant="ghost" onClick={() => setConfirming(true)}>
        New code
      </Button>
      <ConfirmDialog
        open={confirming}
        title="Replace the join code?"
        confirmLabel="Replace code"
        busy={regenerate.isPending}
        error={regenerate.error ? errorMessage(regenerate.error) : null}
        onConfirm={() => regenerate.mutate({ classId })}
        onCancel={() => setConfirming(false)}
      >
        The code {joinCode} stops working at once. Students already in the class stay in it.
      </ConfirmDialog>
    </div>
  );
}
