"use client";

import { useMemo } from "react";
import { useLabLive } from "@/lib/lab-live-store";
import { MapLegend, RoomMap } from "../labs/room-map";
import { useSeatCodes } from "../labs/use-seat-codes";
import { ErrorNotice, Loading } from "../ui/notice";
import { occupantsOf, type RoomCheckIn, type RoomHand } from "./occupants";

/** The session's live room map: seats with their codes, the students on them, their progress and raised hands. */
export function SessionRoom({
  labId,
  checkIns,
  hands,
}: {
  labId: string;
  checkIns: readonly RoomCheckIn[];
  hands: readonly RoomHand[];
}) {
  const live = useLabLive(labId);
  const seatCodes = useSeatCodes(labId);
  const occupants = useMemo(() => occupantsOf(checkIns, hands), [checkIns, hands]);
  if (live.status === "error" && !live.lab) return <ErrorNotice>{live.error?.message}</ErrorNotice>;
  if (!live.lab) return <Loading label="Loading the room map…" />;
  return (
    <div className="space-y-3">
      <MapLegend thermal={false} hotTempC={live.lab.hotTempC} />
      <RoomMap
        rows={live.lab.rows}
        cols={live.lab.cols}
        seats={live.seats}
        devices={live.devices}
        hotTempC={live.lab.hotTempC}
        thermal={false}
        seatCodes={seatCodes}
        occupants={occupants}
      />
    </div>
  );
}
