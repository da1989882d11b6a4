"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { SecretBox } from "./secret-box";

/** The bearer token of GET /metrics: generated here, shown once, only its hash kept on the server. */
export function MetricsCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.settings.metricsStatus.queryOptions());
  const [token, setToken] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.settings.metricsStatus.queryKey() });
  const rotate = useMutation(
    trpc.settings.rotateMetricsToken.mutationOptions({
      onSuccess: (r) => {
        setToken(r.token);
        void refresh();
      },
    }),
  );
  const disable = useMutation(
    trpc.settings.disableMetrics.mutationOptions({
      onSuccess: () => {
        setToken(null);
        void refresh();
      },
    }),
  );
  const origin = typeof window === "undefined" ? "" : window.location.origin;

  return (
    <Card title="Prometheus metrics">
      <p className="mb-3 text-sm text-slate-500">
        <code>GET /metrics</code> serves per-device gauges (online, CPU load, memory, temperature, firing alerts) and
        the server's own process metrics to a scraper that sends the token.
      </p>
      {status.error && <ErrorNotice>{errorMessage(status.error)}</ErrorNotice>}
      {(rotate.error || disable.error) && <ErrorNotice>{errorMessage(rotate.error ?? disable.error)}</ErrorNotice>}
      {!status.data ? (
        !status.error && <Loading />
      ) : (
        <div className="space-y-3">
          <p className="text-sm text-slate-700" data-testid="metrics-status">
            {status.data.configured
              ? `On. Token set ${status.data.updatedAt ? formatDateTime(status.data.updatedAt) : ""}.`
              : "Off: no token yet. /metrics answers 404."}
          </p>
          <div className="flex gap-2">
            <Button
              variant="primary"
              data-testid="metrics-rotate"
              disabled={rotate.isPending}
              onClick={() => rotate.mutate()}
            >
              {status.data.configured ? "Replace the token" : "Create a token"}
            </Button>
            {status.data.configured && (
              <Button variant="danger" disabled={disable.isPending} onClick={() => disable.mutate()}>
                Turn off
              </Button>
            )}
          </div>
          {token && (
            <SecretBox title="Metrics token" secret={token} onDismiss={() => setToken(null)} testId="metrics-token">
              <pre className="overflow-x-auto rounded bg-white p-2 font-mono text-xs ring-1 ring-emerald-200">
                {`curl -H 'Authorization: Bearer ${token}' ${origin}/metrics`}
              </pre>
            </SecretBox>
          )}
        </div>
      )}
    </Card>
  );
}
