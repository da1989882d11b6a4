"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { DataTable, FRAME_CARD, HEAD_SHADED } from "@/components/ui/data-table";
import { useNow } from "@/lib/clock";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type TokenRow = RouterOutputs["enrollmentToken"]["list"][number];

const STATUS: Record<TokenRow["status"], { label: string; tone: Tone }> = {
  active: { label: "Active", tone: "green" },
  expired: { label: "Expired", tone: "neutral" },
  revoked: { label: "Revoked", tone: "red" },
  used_up: { label: "Used up", tone: "amber" },
};

export function TokensTable({ tokens }: { tokens: TokenRow[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow();
  const [confirming, setConfirming] = useState<TokenRow | null>(null);
  const revoke = useMutation(
    trpc.enrollmentToken.revoke.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.enrollmentToken.list.queryKey() });
        setConfirming(null);
      },
    }),
  );

  return (
    <>
      <DataTable
        frame={FRAME_CARD}
        headClassName={HEAD_SHADED}
        scoped
        thClassName="px-4 py-2.5 font-medium"
        head={[
          "Label",
          "Token",
          "Status",
          "Uses",
          "Expires",
          "Created",
          { key: "actions", label: <span className="sr-only">Actions</span> },
        ]}
      >
        {tokens.map((t) => {
          const status = STATUS[t.status];
          return (
            <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-status={t.status}>
              <td className="px-4 py-2.5 font-medium text-slate-900">{t.label}</td>
              <td className="px-4 py-2.5 font-mono text-xs text-slate-600">{t.tokenPrefix}…</td>
              <td className="px-4 py-2.5">
                <Badge tone={status.tone} data-testid="token-status">
                  {status.label}
                </Badge>
              </td>
              <td className="px-4 py-2.5 text-slate-700 tabular-nums" data-testid="token-uses">
                {t.uses} / {t.maxUses}
              </td>
              <td className="px-4 py-2.5 text-slate-700" title={formatDateTime(t.expiresAt)}>
                {now == null ? formatDateTime(t.expiresAt) : formatRelative(t.expiresAt.getTime(), now)}
              </td>
              <td className="px-4 py-2.5 text-slate-500">{formatDateTime(t.createdAt)}</td>
              <td className="px-4 py-2.5 text-right">
                {t.status === "active" && (
                  <Button
                    size="sm"
                    variant="danger"
                    onClick={() => {
                      revoke.reset();
                      setConfirming(t);
                    }}
                    aria-label={`Revoke token ${t.label}`}
                  >
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
      <ConfirmDialog
        open={confirming !== null}
        title={`Revoke “${confirming?.label ?? ""}”?`}
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        error={revoke.error ? errorMessage(revoke.error) : null}
        onCancel={() => setConfirming(null)}
        onConfirm={() => confirming && revoke.mutate({ id: confirming.id })}
      >
        <p>No new machine can enroll with this token. Machines that already enrolled with it keep working.</p>
      </ConfirmDialog>
    </>
  );
}
