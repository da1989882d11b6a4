"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { useState } from "react";
import { LastSeen } from "@/components/device-tile";
import { STATUS_LABEL, StatusDot } from "@/components/status-dot";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { formatDateTime } from "@/lib/format";
import { RenameForm } from "./rename-form";
import { RevokeDeviceButton } from "./revoke-button";
import { RotateCredentialButton } from "./rotate-credential-button";

export interface DeviceMeta {
  enrolledAt: Date;
  revokedAt: Date | null;
  labName: string | null;
  agentVersion: string | null;
}

export function DeviceHeader({ device, meta }: { device: DeviceSummary; meta: DeviceMeta | null }) {
  const [renaming, setRenaming] = useState(false);
  const revoked = device.status === "revoked";
  return (
    <header className="rounded-lg bg-white p-5 shadow-xs ring-1 ring-slate-200">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 flex-1">
          {renaming ? (
            <RenameForm deviceId={device.id} currentName={device.name} onDone={() => setRenaming(false)} />
          ) : (
            <div className="flex flex-wrap items-center gap-2">
              <h1 className="truncate text-xl font-semibold text-slate-900" data-testid="device-name">
                {device.name}
              </h1>
              {device.simulated && (
                <Badge tone="violet" title="Numbers from the simulator, not real hardware">
                  simulated
                </Badge>
              )}
            </div>
          )}
          <p className="mt-1.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-slate-600">
            <span className="inline-flex items-center gap-1.5" data-testid="device-status" data-status={device.status}>
              <StatusDot status={device.status} />
              <span className="font-medium">{STATUS_LABEL[device.status]}</span>
            </span>
            <LastSeen ts={device.lastSeenAt} online={device.status === "online"} />
            <span className="text-slate-300" aria-hidden>
              |
            </span>
            <span className="font-mono text-xs">{device.hostname}</span>
          </p>
          {meta && (
            <p className="mt-1 text-xs text-slate-500">
              {meta.labName ? `${meta.labName} · ` : ""}Enrolled {formatDateTime(meta.enrolledAt)}
              {meta.agentVersion ? ` · agent ${meta.agentVersion}` : ""}
              {meta.revokedAt ? ` · revoked ${formatDateTime(meta.revokedAt)}` : ""}
            </p>
          )}
        </div>
        {!renaming && (
          <div className="flex shrink-0 gap-2">
            <Button onClick={() => setRenaming(true)}>Rename</Button>
            {!revoked && <RotateCredentialButton deviceId={device.id} deviceName={device.name} />}
            {!revoked && <RevokeDeviceButton deviceId={device.id} deviceName={device.name} />}
          </div>
        )}
      </div>
    </header>
  );
}
