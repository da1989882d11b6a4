"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

const OUTCOME = {
  rotated: "The device has its new credential; the old one no longer works.",
  pending:
    "The device is not connected: it gets its new credential when it next connects, and keeps working until then.",
} as const;

export function RotateCredentialButton({ deviceId, deviceName }: { deviceId: string; deviceName: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const rotate = useMutation(trpc.device.rotateCredential.mutationOptions({ onSuccess: () => setOpen(false) }));
  const done = rotate.data ? OUTCOME[rotate.data.status] : null;
  return (
    <>
      <Button
        onClick={() => {
          rotate.reset();
          setOpen(true);
        }}
      >
        Rotate credential…
      </Button>
      {done && (
        <p role="status" className="max-w-xs self-center text-xs text-slate-600">
          {done}
        </p>
      )}
      <ConfirmDialog
        open={open}
        title={`Rotate the credential of ${deviceName}?`}
        confirmLabel="Rotate credential"
        busy={rotate.isPending}
        error={rotate.error ? errorMessage(rotate.error) : null}
        onCancel={() => setOpen(false)}
        onConfirm={() => rotate.mutate({ id: deviceId })}
      >
        <p>
          The device gets a new secret over its connection and stores it; from then on its old secret is refused.
          Nothing else changes: its history, deployments and runs stay.
        </p>
      </ConfirmDialog>
    </>
  );
}
