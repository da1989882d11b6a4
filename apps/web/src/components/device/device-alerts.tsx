"use client";

import type { AlertState, AlertSummary } from "@labfleet/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { getDashboardSocket } from "@/lib/dashboard-socket";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const TONE: Record<AlertState, Tone> = { firing: "red", acknowledged: "amber", resolved: "neutral" };

/** The device's alerts, open ones first; refreshed when the server broadcasts a change to one of them. */
export function DeviceAlerts({ deviceId }: { deviceId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Stable across renders (the page re-renders every second), so the socket listener is not re-attached each time.
  const queryKey = useMemo(() => trpc.alert.list.queryKey({ deviceId, state: "all", limit: 20 }), [trpc, deviceId]);
  const alerts = useQuery(trpc.alert.list.queryOptions({ deviceId, state: "all", limit: 20 }));
  const acknowledge = useMutation(
    trpc.alert.acknowledge.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey }),
    }),
  );

  useEffect(() => {
    const socket = getDashboardSocket();
    const onUpdated = (a: AlertSummary) => {
      if (a.deviceId === deviceId) void queryClient.invalidateQueries({ queryKey });
    };
    socket.on("alert:updated", onUpdated);
    return () => {
      socket.off("alert:updated", onUpdated);
    };
  }, [deviceId, queryClient, queryKey]);

  return (
    <Card title="Alerts">
      {alerts.error ? (
        <ErrorNotice>{errorMessage(alerts.error)}</ErrorNotice>
      ) : !alerts.data ? (
        <Loading label="Loading alerts…" />
      ) : alerts.data.length === 0 ? (
        <p className="text-sm text-slate-500">No alerts for this device.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="device-alerts">
          {alerts.data.map((a) => (
            <li key={a.id} className="flex flex-wrap items-center gap-2 py-2 text-sm" data-alert-kind={a.kind}>
              <Badge tone={TONE[a.state]}>{a.state}</Badge>
              <span className="flex-1 text-slate-800">{a.message}</span>
              <span className="text-xs text-slate-500">{formatDateTime(a.firedAt)}</span>
              {a.state === "firing" && (
                <Button size="sm" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate({ id: a.id })}>
                  Acknowledge
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {acknowledge.error && <ErrorNotice>{errorMessage(acknowledge.error)}</ErrorNotice>}
    </Card>
  );
}
