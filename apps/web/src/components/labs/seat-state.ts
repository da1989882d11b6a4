import type { DeviceSummary } from "@labfleet/protocol";

/** What a seat shows, most urgent first when several hold (a hot machine that throttles shows as hot). */
export type SeatState = "empty" | "offline" | "hot" | "throttling" | "busy" | "online";

/**
 * Whether a device runs a workload. Summaries carry no such flag yet; the workloads feature fills this in,
 * and the map already has the state, colour and legend for it.
 */
export function isBusy(_device: DeviceSummary): boolean {
  return false;
}

export function seatState(device: DeviceSummary | undefined, hotTempC: number): SeatState {
  if (!device) return "empty";
  if (device.status !== "online") return "offline";
  const temp = device.latest?.cpuTempC ?? null;
  if (temp !== null && temp >= hotTempC) return "hot";
  if (device.latest?.throttling) return "throttling";
  if (isBusy(device)) return "busy";
  return "online";
}

export const SEAT_STATE_LABEL: Record<SeatState, string> = {
  empty: "Empty seat",
  offline: "Offline",
  hot: "Hot",
  throttling: "Throttling",
  busy: "Busy",
  online: "Online",
};

export const SEAT_STATE_CLASS: Record<SeatState, string> = {
  empty: "bg-slate-50 ring-slate-200 border-dashed text-slate-400",
  offline: "bg-slate-100 ring-slate-300 text-slate-500",
  hot: "bg-red-50 ring-red-400 text-red-900",
  throttling: "bg-amber-50 ring-amber-400 text-amber-900",
  busy: "bg-violet-50 ring-violet-400 text-violet-900",
  online: "bg-emerald-50 ring-emerald-400 text-emerald-900",
};

/** The coolest temperature on the thermal scale; at the lab's hot threshold the scale is red. */
const SCALE_MIN_C = 30;

/**
 * The thermal overlay's colour: blue (cool) through green and yellow to red at the hot threshold. Null (no sensor,
 * or no sample) has no colour: the map shows it hatched as "unknown", never as cold.
 */
export function thermalColour(tempC: number | null, hotTempC: number): string | null {
  if (tempC === null) return null;
  const t = Math.min(1, Math.max(0, (tempC - SCALE_MIN_C) / Math.max(1, hotTempC - SCALE_MIN_C)));
  return `hsl(${Math.round(220 * (1 - t))} 80% 55%)`;
}

export const UNKNOWN_HATCH =
  "repeating-linear-gradient(45deg, rgb(226 232 240), rgb(226 232 240) 4px, rgb(248 250 252) 4px, rgb(248 250 252) 8px)";
