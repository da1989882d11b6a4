import type { SeatOccupant } from "../labs/room-map";

export interface RoomCheckIn {
  studentName: string;
  deviceId: string;
  progress: { status: string; percent: number | null } | null;
}

export interface RoomHand {
  deviceId: string | null;
  position: number;
}

/** "running 40 %", "succeeded", …: a student's latest run as a seat shows it. */
export function progressLabel(p: RoomCheckIn["progress"]): Pick<SeatOccupant, "progress" | "progressTone"> {
  if (!p) return { progress: null, progressTone: null };
  switch (p.status) {
    case "running":
      return { progress: p.percent === null ? "running" : `running ${p.percent} %`, progressTone: "running" };
    case "queued":
      return { progress: "starting", progressTone: "running" };
    case "succeeded":
      return { progress: "succeeded", progressTone: "succeeded" };
    case "timed_out":
      return { progress: "timed out", progressTone: "failed" };
    default:
      return { progress: p.status, progressTone: "failed" };
  }
}

/** device id → who sits there, how their run goes, and their place in the help queue. */
export function occupantsOf(checkIns: readonly RoomCheckIn[], hands: readonly RoomHand[]) {
  const handAt = new Map(hands.flatMap((h) => (h.deviceId ? [[h.deviceId, h.position] as const] : [])));
  return new Map<string, SeatOccupant>(
    checkIns.map((c) => [
      c.deviceId,
      { studentName: c.studentName, handPosition: handAt.get(c.deviceId) ?? null, ...progressLabel(c.progress) },
    ]),
  );
}
