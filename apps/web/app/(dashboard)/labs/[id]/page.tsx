"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { LabSettings } from "@/components/labs/lab-settings";
import { PlacementPanel } from "@/components/labs/placement-panel";
import { MapLegend, RoomMap } from "@/components/labs/room-map";
import { useSeatCodes } from "@/components/labs/use-seat-codes";
import { RoomBenchmarkButton } from "@/components/runs/room-benchmark";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, InfoNotice, Loading } from "@/components/ui/notice";
import { useLabLive } from "@/lib/lab-live-store";

function BackLink() {
  return (
    <Link href="/labs" className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
      ← All labs
    </Link>
  );
}

export default function LabPage() {
  const { id } = useParams<{ id: string }>();
  const live = useLabLive(id);
  const seatCodes = useSeatCodes(id);
  const [thermal, setThermal] = useState(false);
  const [editing, setEditing] = useState(false);

  if (live.status === "error" && !live.lab) {
    return (
      <div>
        <BackLink />
        <ErrorNotice testId="lab-error">
          {live.error?.code === "NOT_FOUND"
            ? "This lab does not exist (it may have been deleted)."
            : live.error?.message}
        </ErrorNotice>
      </div>
    );
  }
  if (!live.lab) {
    return (
      <div>
        <BackLink />
        <Loading label="Loading the room map…" />
      </div>
    );
  }
  const lab = live.lab;
  const placed = live.seats.filter((s) => s.deviceId).length;
  return (
    <div>
      <BackLink />
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold text-slate-900" data-testid="lab-name">
            {lab.name}
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {lab.rows} × {lab.cols} seats · {placed} placed · {live.devices.size} devices
          </p>
        </div>
        <div className="flex gap-2">
          <Link
            href={`/labs/${encodeURIComponent(lab.id)}/labels`}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-50"
          >
            Print seat labels
          </Link>
          <RoomBenchmarkButton labId={lab.id} />
          <Button
            variant={thermal ? "primary" : "secondary"}
            aria-pressed={thermal}
            onClick={() => setThermal((t) => !t)}
            data-testid="thermal-toggle"
          >
            Thermal view
          </Button>
          <Button variant="ghost" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
            Settings
          </Button>
        </div>
      </div>
      {live.error && <InfoNotice className="mb-4">{live.error.message}</InfoNotice>}
      {editing && (
        <Card className="mb-4" title="Lab settings">
          <LabSettings key={`${lab.id}:${lab.rows}:${lab.cols}:${lab.name}`} lab={lab} onSaved={live.refresh} />
        </Card>
      )}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[1fr_18rem]">
        <div className="space-y-3">
          <MapLegend thermal={thermal} hotTempC={lab.hotTempC} />
          {live.devices.size === 0 && (
            <p className="text-sm text-slate-600" data-testid="lab-no-devices">
              No devices in this lab yet. Enroll machines with a token for this lab, or bring devices in from the panel.
            </p>
          )}
          <RoomMap
            rows={lab.rows}
            cols={lab.cols}
            seats={live.seats}
            devices={live.devices}
            hotTempC={lab.hotTempC}
            thermal={thermal}
            seatCodes={seatCodes}
          />
        </div>
        <PlacementPanel labId={lab.id} seats={live.seats} devices={live.devices} onChanged={live.refresh} />
      </div>
    </div>
  );
}
