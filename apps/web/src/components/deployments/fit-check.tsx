"use client";

import { useQuery } from "@tanstack/react-query";
import type { DeploymentTarget } from "@/components/models/api-types";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export interface FitResult {
  fits: Array<{ deviceId: string; name: string }>;
  misfits: Array<{ deviceId: string; name: string; reason: string }>;
}

/** Asks the server which devices of the target can hold the version, and shows why the others cannot. */
export function useFitCheck(versionId: string, target: DeploymentTarget | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.deployment.checkFit.queryOptions(
      target ? { versionId, target } : { versionId, target: { kind: "devices", deviceIds: [] } },
    ),
    enabled: target !== null && versionId !== "",
    staleTime: 0,
  });
}

export function FitList({ check }: { check: ReturnType<typeof useFitCheck> }) {
  if (check.fetchStatus === "idle" && !check.data && !check.error) {
    return <p className="text-sm text-slate-500">Choose a target to check which devices it fits.</p>;
  }
  if (check.error) return <ErrorNotice>{errorMessage(check.error)}</ErrorNotice>;
  if (!check.data) return <Loading label="Checking which devices it fits…" />;
  const { fits, misfits } = check.data;
  if (fits.length === 0 && misfits.length === 0) {
    return (
      <p className="text-sm text-slate-600" data-testid="fit-none">
        This target has no devices.
      </p>
    );
  }
  return (
    <div className="space-y-2 text-sm" data-testid="fit-check">
      <p className="font-medium text-slate-700" data-testid="fit-summary">
        Fits {fits.length} of {fits.length + misfits.length} {fits.length + misfits.length === 1 ? "device" : "devices"}
      </p>
      <ul className="space-y-0.5">
        {fits.map((d) => (
          <li key={d.deviceId} data-testid="fit-ok" data-device-id={d.deviceId} className="text-emerald-800">
            <span aria-hidden>✓ </span>
            {d.name}
          </li>
        ))}
        {misfits.map((d) => (
          <li key={d.deviceId} data-testid="fit-no" data-device-id={d.deviceId} className="text-red-800">
            <span aria-hidden>✗ </span>
            {d.name}: <span className="text-red-700">{d.reason}</span>
          </li>
        ))}
      </ul>
      {misfits.length > 0 && fits.length > 0 && (
        <p className="text-xs text-slate-500">Only the devices it fits receive it; the others are left as they are.</p>
      )}
    </div>
  );
}
