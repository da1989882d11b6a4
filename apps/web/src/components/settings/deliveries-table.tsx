"use client";

import { useQuery } from "@tanstack/react-query";
import { Badge, type Tone } from "@/components/ui/badge";
import { DataTable } from "@/components/ui/data-table";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { useNow } from "@/lib/clock";
import { errorMessage } from "@/lib/errors";
import { formatAgo, formatDateTime, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const STATUS_TONE: Record<"pending" | "delivered" | "failed", Tone> = {
  pending: "amber",
  delivered: "green",
  failed: "red",
};

/** The delivery log: every notification with its attempts, the receiver's answer and when it is retried. */
export function DeliveriesTable() {
  const trpc = useTRPC();
  const now = useNow();
  // Deliveries change in the background (the job retries them): a slow poll keeps the log current.
  const log = useQuery(trpc.webhook.deliveries.queryOptions({ limit: 50 }, { refetchInterval: 5_000 }));
  return (
    <Card title="Delivery log">
      {log.error ? (
        <ErrorNotice>{errorMessage(log.error)}</ErrorNotice>
      ) : !log.data ? (
        <Loading />
      ) : log.data.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing sent yet.</p>
      ) : (
        <DataTable
          frame="overflow-x-auto"
          thClassName="py-2 pr-4 font-medium"
          head={[
            "Status",
            "Event",
            "Webhook",
            "Attempts",
            "Answer",
            "Created",
            { label: "Delivered / next try", className: "py-2 font-medium" },
          ]}
        >
          {log.data.map((d) => (
            <tr key={d.id} data-testid="delivery-row" data-status={d.status}>
              <td className="py-2 pr-4">
                <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
              </td>
              <td className="py-2 pr-4 font-mono text-xs">{d.event}</td>
              <td className="py-2 pr-4">{d.webhookName}</td>
              <td className="py-2 pr-4 tabular-nums">{d.attempts}</td>
              <td className="py-2 pr-4">
                {d.responseStatus !== null && <span className="tabular-nums">HTTP {d.responseStatus}</span>}
                {d.lastError && <div className="text-xs text-red-700">{d.lastError}</div>}
              </td>
              <td className="py-2 pr-4 whitespace-nowrap" title={formatDateTime(d.createdAt)}>
                {now === null ? formatDateTime(d.createdAt) : formatAgo(d.createdAt.getTime(), now)}
              </td>
              <td className="py-2 whitespace-nowrap">
                {d.deliveredAt
                  ? formatDateTime(d.deliveredAt)
                  : d.status === "pending" && now !== null
                    ? formatRelative(d.nextAttemptAt.getTime(), now)
                    : "—"}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Card>
  );
}
