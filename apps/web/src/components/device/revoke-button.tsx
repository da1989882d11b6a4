"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { errorMessage } from "@/lib/errors";
import { applyDeviceSummary } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";

export function RevokeDeviceButton({ deviceId, deviceName }: { deviceId: string; deviceName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const revoke = useMutation(
    trpc.device.revoke.mutationOptions({
      onSuccess: async (summary) => {
        applyDeviceSummary(summary);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.device.get.queryKey({ id: deviceId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.device.list.queryKey() }),
        ]);
        setOpen(false);
      },
    }),
  );
  return (
    <>
      <Button
        variant="danger"
        onClick={() => {
          revoke.reset();
          setOpen(true);
        }}
      >
        Revoke…
      </Button>
      <ConfirmDialog
        open={open}
        title={`Revoke ${deviceName}?`}
        confirmLabel="Revoke device"
        busy={revoke.isPending}
        error={revoke.error ? errorMessage(revoke.error) : null}
        onCancel={() => setOpen(false)}
        onConfirm={() => revoke.mutate({ id: deviceId })}
      >
        <p>
          The machine is disconnected now and can no longer report with its current credentials. Its history stays here.
          To bring it back, enroll it again with a new token.
        </p>
      </ConfirmDialog>
    </>
  );
}
