"use client";

import type { DeploymentDeviceRow } from "@/components/models/api-types";
import { ProgressBar } from "@/components/models/progress-bar";
import { Badge } from "@/components/ui/badge";
import { cx } from "@/components/ui/cx";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { deviceStateOf } from "./deployment-meta";

function StateCell({ d }: { d: DeploymentDeviceRow }) {
  const s = deviceStateOf(d.state);
  return (
    <div className="min-w-48 space-y-1">
      <div className="flex items-center gap-2">
        <Badge tone={s.tone} data-testid="device-state-label">
          {s.label}
          {d.state === "downloading" && d.percent !== null && ` ${d.percent.toFixed(0)}%`}
        </Badge>
      </div>
      {d.state === "downloading" && (
        <ProgressBar percent={d.percent} label={`Download on ${d.name}`} className="max-w-56" />
      )}
      {d.state === "verifying" && (
        <ProgressBar percent={null} label={`Verifying on ${d.name}`} tone="amber" className="max-w-56" />
      )}
      {d.state === "failed" && (d.errorMessage || d.errorCode) && (
        <p className="max-w-md text-xs text-red-700" data-testid="device-error">
          {d.errorCode && <code className="mr-1 font-semibold">{d.errorCode}</code>}
          {d.errorMessage}
        </p>
      )}
    </div>
  );
}

/** Where each device of a deployment is, live: its state, download percent, and the reason of a failure. */
export function DeviceStates({ devices, waves }: { devices: DeploymentDeviceRow[]; waves: number }) {
  const counts = new Map<string, number>();
  for (const d of devices) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-600" data-testid="deployment-counts">
        {devices.length} {devices.length === 1 ? "device" : "devices"}:{" "}
        {[...counts.entries()].map(([state, n]) => `${n} ${deviceStateOf(state).label.toLowerCase()}`).join(", ")}
      </p>
      <DataTable frame={FRAME_CARD} thClassName="px-4 py-2 font-medium" head={["Device", waves > 1 && "Wave", "State"]}>
        {devices.map((d) => (
          <tr
            key={d.deviceId}
            data-testid={`deployment-device-${d.deviceId}`}
            data-state={d.state}
            data-percent={d.percent ?? ""}
            className="align-top"
          >
            <td className="px-4 py-2.5">
              <a
                href={`/devices/${d.deviceId}`}
                className="inline-flex items-center gap-2 font-medium text-sky-700 hover:underline"
              >
                <span aria-hidden className={cx("size-2 rounded-full", d.online ? "bg-emerald-500" : "bg-slate-300")} />
                {d.name}
              </a>
              {!d.online && <div className="text-xs text-slate-500">offline: it catches up when it reconnects</div>}
            </td>
            {waves > 1 && <td className="px-4 py-2.5 text-slate-600">{d.wave + 1}</td>}
            <td className="px-4 py-2.5">
              <StateCell d={d} />
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
