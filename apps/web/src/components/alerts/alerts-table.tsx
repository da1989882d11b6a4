"use client";

import type { AlertSummary } from "@labfleet/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { ErrorNotice } from "@/components/ui/notice";
import { useNow } from "@/lib/clock";
import { errorMessage } from "@/lib/errors";
import { formatAgo, formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { KIND_LABEL, STATE_LABEL, STATE_TONE } from "./alert-meta";

function When({ ts, now }: { ts: number | null; now: number | null }) {
  if (ts === null) return <span className="text-slate-400">—</span>;
  return (
    <time dateTime={new Date(ts).toISOString()} title={formatDateTime(ts)}>
      {now === null ? formatDateTime(ts) : formatAgo(ts, now)}
    </time>
  );
}

export function AlertsTable({ alerts }: { alerts: AlertSummary[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow();
  const ack = useMutation(
    trpc.alert.acknowledge.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.alert.pathKey() }),
    }),
  );
  return (
    <div className="space-y-3">
      {ack.error && <ErrorNotice>{errorMessage(ack.error)}</ErrorNotice>}
      <DataTable
        frame={FRAME_CARD}
        thClassName="px-4 py-2 font-medium"
        head={[
          "State",
          "Alert",
          "Device",
          "Fired",
          "Acknowledged",
          "Resolved",
          { key: "actions", className: "px-4 py-2" },
        ]}
      >
        {alerts.map((a) => (
          <tr key={a.id} data-testid="alert-row" data-state={a.state} data-kind={a.kind} className="align-top">
            <td className="px-4 py-2.5">
              <Badge tone={STATE_TONE[a.state]}>{STATE_LABEL[a.state]}</Badge>
            </td>
            <td className="px-4 py-2.5">
              <div className="font-medium text-slate-900">{KIND_LABEL[a.kind]}</div>
              <div className="text-slate-600">{a.message}</div>
            </td>
            <td className="px-4 py-2.5">
              <Link href={`/devices/${a.deviceId}`} className="font-medium text-sky-700 hover:underline">
                {a.deviceName}
              </Link>
            </td>
            <td className="px-4 py-2.5 whitespace-nowrap text-slate-600">
              <When ts={a.firedAt} now={now} />
            </td>
            <td className="px-4 py-2.5 text-slate-600">
              <When ts={a.acknowledgedAt} now={now} />
              {a.acknowledgedBy && <div className="text-xs text-slate-500">by {a.acknowledgedBy}</div>}
            </td>
            <td className="px-4 py-2.5 whitespace-nowrap text-slate-600">
              <When ts={a.resolvedAt} now={now} />
            </td>
            <td className="px-4 py-2.5 text-right">
              {a.state === "firing" && (
                <Button
                  size="sm"
                  data-testid="alert-ack"
                  disabled={ack.isPending && ack.variables?.id === a.id}
                  onClick={() => ack.mutate({ id: a.id })}
                >
                  Acknowledge
                </Button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
