"use client";

import type { RunProgress } from "@labfleet/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { RunRow } from "@/components/models/api-types";
import { ProgressBar } from "@/components/models/progress-bar";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { asProgress, describeProgress, isActive, progressPercent } from "./run-meta";

/** A running run: its phase and count, live, and a cancel button. A finished one: why it did not succeed. */
export function RunStatusPanel({ run, live }: { run: RunRow; live: RunProgress | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(
    trpc.run.cancel.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.run.pathKey() }),
    }),
  );
  const active = isActive(run.status);
  const progress = live ?? asProgress(run.progress);
  const spec = (run.spec ?? {}) as { durationMs?: number };
  if (active) {
    return (
      <Card
        title={run.status === "queued" ? "Waiting for the device" : "In progress"}
        actions={
          <Button
            variant="danger"
            size="sm"
            onClick={() => cancel.mutate({ id: run.id })}
            disabled={cancel.isPending}
            data-testid="run-cancel"
          >
            {cancel.isPending ? "Cancelling…" : "Cancel run"}
          </Button>
        }
      >
        <div className="space-y-1.5" data-testid="run-progress">
          <ProgressBar percent={progressPercent(progress, spec.durationMs)} label="Run progress" />
          <p className="text-sm text-slate-600" data-testid="run-phase">
            {progress
              ? `${describeProgress(progress)} · ${(progress.elapsedMs / 1_000).toFixed(1)} s`
              : run.status === "queued"
                ? "Sent to the device; it has not started yet."
                : "Starting…"}
          </p>
        </div>
        {cancel.error && <ErrorNotice className="mt-3">{errorMessage(cancel.error)}</ErrorNotice>}
      </Card>
    );
  }
  if (run.status === "succeeded") return null;
  return (
    <ErrorNotice testId="run-failure">
      <strong>
        {run.status === "cancelled" ? "Cancelled." : run.status === "timed_out" ? "Timed out." : "The run failed."}
      </strong>{" "}
      {run.errorCode && <code className="mr-1 font-semibold">{run.errorCode}</code>}
      {run.errorMessage ??
        (run.status === "cancelled" ? "It was stopped before it finished." : "The device gave no reason.")}
    </ErrorNotice>
  );
}
