"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { RunsTable } from "@/components/runs/runs-table";
import { useLiveRuns } from "@/components/runs/use-live-runs";
import { inputClass } from "@/components/ui/field";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

function RunsList() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const deviceId = params.get("deviceId") ?? "";
  const live = useLiveRuns();
  const devices = useQuery(trpc.device.list.queryOptions());
  const runs = useQuery(trpc.run.list.queryOptions(deviceId ? { deviceId, limit: 200 } : { limit: 200 }));

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Runs</h1>
          <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
            Live. Benchmarks and evaluations on single devices and room-wide. Every result is signed by the device that
            measured it; the server checks the signature.
          </p>
        </div>
        <label className="text-sm text-slate-700">
          <span className="mb-1 block font-medium">Device</span>
          <select
            className={inputClass}
            value={deviceId}
            data-testid="runs-filter-device"
            onChange={(e) =>
              router.replace(e.target.value ? `${pathname}?deviceId=${encodeURIComponent(e.target.value)}` : pathname)
            }
          >
            <option value="">All devices</option>
            {devices.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {runs.error ? (
        <ErrorNotice>{errorMessage(runs.error)}</ErrorNotice>
      ) : !runs.data ? (
        <Loading label="Loading runs…" />
      ) : runs.data.length === 0 ? (
        <p
          className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200"
          data-testid="runs-empty"
        >
          {deviceId
            ? "No runs on this device yet."
            : "No runs yet. Benchmark a model from its page, or run a room-wide benchmark from a lab."}
        </p>
      ) : (
        <RunsTable runs={runs.data} live={live} />
      )}
    </div>
  );
}

export default function RunsPage() {
  return (
    <Suspense fallback={<Loading label="Loading runs…" />}>
      <RunsList />
    </Suspense>
  );
}
