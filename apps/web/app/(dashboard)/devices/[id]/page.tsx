"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { CoreBars } from "@/components/device/core-bars";
import { DeviceAlerts } from "@/components/device/device-alerts";
import { DeviceHeader } from "@/components/device/device-header";
import { HistoryCharts } from "@/components/device/history-charts";
import { InventoryPanel } from "@/components/device/inventory-panel";
import { LiveChart } from "@/components/device/live-chart";
import { LiveCharts } from "@/components/device/live-charts";
import { type LatestSample, LiveStats } from "@/components/device/live-stats";
import { Card, ErrorNotice, InfoNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { useDeviceLive } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";

function BackLink() {
  return (
    <Link href="/devices" className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
      ← All devices
    </Link>
  );
}

export default function DevicePage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const detail = useQuery(trpc.device.get.queryOptions({ id }));
  const live = useDeviceLive(id);

  const device = live.device ?? detail.data?.device ?? null;
  const latest: LatestSample | null = live.samples.at(-1) ?? device?.latest ?? null;
  const perCore = latest?.cpuPerCorePct;
  const notFound = errorCode(detail.error) === "NOT_FOUND" || live.error?.code === "NOT_FOUND";

  if (notFound) {
    return (
      <div>
        <BackLink />
        <ErrorNotice>This device does not exist, or it was removed.</ErrorNotice>
      </div>
    );
  }
  if (!device) {
    return (
      <div>
        <BackLink />
        {detail.error ? <ErrorNotice>{errorMessage(detail.error)}</ErrorNotice> : <Loading label="Loading device…" />}
      </div>
    );
  }

  const meta = detail.data
    ? {
        enrolledAt: detail.data.enrolledAt,
        revokedAt: detail.data.revokedAt,
        labName: detail.data.labName,
        agentVersion: detail.data.agentVersion,
      }
    : null;

  return (
    <div className="space-y-5">
      <div>
        <BackLink />
        <DeviceHeader device={device} meta={meta} />
      </div>

      {device.status === "revoked" && (
        <InfoNotice>
          This device is revoked: it cannot connect. Enroll it again with a new token to bring it back.
        </InfoNotice>
      )}
      {live.error && <InfoNotice>Live updates are unavailable: {live.error.message}</InfoNotice>}

      <LiveStats sample={latest} />

      <div className="grid gap-4 lg:grid-cols-3">
        <Card title="Last 5 minutes" className="lg:col-span-2">
          <LiveChart samples={live.samples} />
        </Card>
        <Card title={`Per core${perCore ? ` (${perCore.length})` : ""}`}>
          {perCore ? (
            <CoreBars perCorePct={perCore} />
          ) : (
            <p className="text-sm text-slate-500">{latest ? "No sample in the last 5 minutes." : "No data yet."}</p>
          )}
        </Card>
      </div>

      <DeviceAlerts deviceId={id} />

      <section aria-label="Live charts">
        <h2 className="mb-2 text-sm font-semibold text-slate-800">Live, last 5 minutes</h2>
        <LiveCharts samples={live.samples} hasNpu={(detail.data?.inventory?.npus?.length ?? 0) > 0} />
      </section>

      <HistoryCharts deviceId={id} />

      {detail.error ? (
        <ErrorNotice>{errorMessage(detail.error)}</ErrorNotice>
      ) : detail.data ? (
        <InventoryPanel inventory={detail.data.inventory} />
      ) : (
        <Loading label="Loading inventory…" />
      )}
    </div>
  );
}
