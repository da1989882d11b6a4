"use client";

import type { DeviceSummary, Seat } from "@labfleet/protocol";
import Link from "next/link";
import { memo } from "react";
import { formatPercent, formatTempC } from "@/lib/format";
import { cx } from "../ui/cx";
import {
  SEAT_STATE_CLASS,
  SEAT_STATE_LABEL,
  type SeatState,
  seatState,
  thermalColour,
  UNKNOWN_HATCH,
} from "./seat-state";

const LEGEND: SeatState[] = ["online", "busy", "hot", "throttling", "offline", "empty"];

/** What a lab session adds to a seat: who sits there, how their run goes, and their place in the help queue. */
export interface SeatOccupant {
  studentName: string;
  /** "running 40 %", "succeeded", "failed"…, or null before their first run. */
  progress: string | null;
  progressTone: "running" | "succeeded" | "failed" | null;
  /** 1 for the first raised hand; null when their hand is down. */
  handPosition: number | null;
}

const PROGRESS_CLASS = {
  running: "text-sky-800",
  succeeded: "text-emerald-800",
  failed: "text-red-800",
} as const;

/** One seat. Memoised: a flush re-renders only the seats whose device summary changed. */
const SeatCell = memo(function SeatCell({
  seat,
  device,
  hotTempC,
  thermal,
  seatCode,
  occupant,
}: {
  seat: Seat;
  device: DeviceSummary | undefined;
  hotTempC: number;
  thermal: boolean;
  seatCode: string | undefined;
  occupant: SeatOccupant | undefined;
}) {
  const state = seatState(device, hotTempC);
  const temp = device?.latest?.cpuTempC ?? null;
  const colour = thermal && device ? thermalColour(temp, hotTempC) : null;
  const style = thermal && device ? { background: colour ?? UNKNOWN_HATCH } : undefined;
  const body = (
    <>
      <span className="flex w-full items-center justify-between gap-1">
        <span className="text-[11px] font-semibold tracking-wide">{seat.label}</span>
        {occupant?.handPosition != null ? (
          <span
            className="rounded-full bg-amber-500 px-1.5 text-[11px] font-bold text-white"
            data-testid="seat-hand"
            title={`Hand raised: number ${occupant.handPosition} in the help queue`}
          >
            Hand {occupant.handPosition}
          </span>
        ) : (
          seatCode && (
            <span className="font-mono text-[11px] tracking-wider opacity-80" data-testid="seat-code" title="Seat code">
              {seatCode}
            </span>
          )
        )}
      </span>
      {occupant && (
        <span className="w-full truncate text-xs font-semibold" data-testid="seat-student" title={occupant.studentName}>
          {occupant.studentName}
        </span>
      )}
      {device ? (
        <>
          {!occupant && (
            <span className="w-full truncate text-xs font-medium" title={device.name}>
              {device.name}
            </span>
          )}
          {occupant ? (
            <span
              className={cx("text-[11px]", occupant.progressTone && PROGRESS_CLASS[occupant.progressTone])}
              data-testid="seat-progress"
            >
              {occupant.progress ?? "no run yet"}
            </span>
          ) : (
            <span className="text-[11px] tabular-nums" data-testid="seat-cpu">
              CPU {formatPercent(device.latest?.cpuLoadPct)}
            </span>
          )}
          <span className="text-[11px] tabular-nums" title={temp === null ? "no sensor / unknown" : undefined}>
            {temp === null ? "temp unknown" : formatTempC(temp)}
          </span>
        </>
      ) : (
        <span className="text-[11px]">empty</span>
      )}
    </>
  );
  const common = {
    "data-testid": `seat-${seat.label}`,
    "data-state": state,
    "data-temp": temp ?? "",
    "data-device-id": device?.id ?? "",
    "data-hand": occupant?.handPosition ?? "",
    title: `${seat.label}: ${SEAT_STATE_LABEL[state]}${device ? ` · ${device.name}` : ""}${occupant ? ` · ${occupant.studentName}` : ""}`,
    style,
    className: cx(
      "flex h-24 min-w-0 flex-col items-start gap-0.5 rounded-md p-2 ring-1 transition",
      SEAT_STATE_CLASS[state],
      thermal && device && "text-slate-900 ring-slate-300",
      occupant?.handPosition != null && "ring-2 ring-amber-500",
      device && "hover:ring-2 hover:ring-sky-500",
    ),
  };
  return device ? (
    <Link href={`/devices/${encodeURIComponent(device.id)}`} {...common}>
      {body}
    </Link>
  ) : (
    <div {...common}>{body}</div>
  );
});

export function RoomMap({
  rows,
  cols,
  seats,
  devices,
  hotTempC,
  thermal,
  seatCodes,
  occupants,
}: {
  rows: number;
  cols: number;
  seats: readonly Seat[];
  devices: ReadonlyMap<string, DeviceSummary>;
  hotTempC: number;
  thermal: boolean;
  /** device id → its seat code, shown on the seat (when known). */
  seatCodes?: ReadonlyMap<string, string>;
  /** device id → the student checked in there, during a session. */
  occupants?: ReadonlyMap<string, SeatOccupant>;
}) {
  return (
    <div className="overflow-x-auto">
      <div
        className="grid gap-2"
        style={{
          gridTemplateColumns: `repeat(${cols}, minmax(6.5rem, 1fr))`,
          gridTemplateRows: `repeat(${rows}, auto)`,
        }}
        data-testid="room-map"
      >
        {seats.map((seat) => (
          <div key={seat.id} style={{ gridRow: seat.row + 1, gridColumn: seat.col + 1 }}>
            <SeatCell
              seat={seat}
              device={seat.deviceId ? devices.get(seat.deviceId) : undefined}
              hotTempC={hotTempC}
              thermal={thermal}
              seatCode={seat.deviceId ? seatCodes?.get(seat.deviceId) : undefined}
              occupant={seat.deviceId ? occupants?.get(seat.deviceId) : undefined}
            />
          </div>
        ))}
      </div>
    </div>
  );
}

export function MapLegend({ thermal, hotTempC }: { thermal: boolean; hotTempC: number }) {
  if (thermal) {
    return (
      <div className="flex flex-wrap items-center gap-3 text-xs text-slate-600" data-testid="thermal-legend">
        <span>30 °C</span>
        <span
          aria-hidden
          className="h-3 w-40 rounded"
          style={{ background: "linear-gradient(to right, hsl(220 80% 55%), hsl(110 80% 55%), hsl(0 80% 55%))" }}
        />
        <span>≥ {hotTempC} °C (hot)</span>
        <span className="inline-flex items-center gap-1">
          <span aria-hidden className="size-3 rounded" style={{ background: UNKNOWN_HATCH }} /> unknown (no sensor)
        </span>
      </div>
    );
  }
  return (
    <ul className="flex flex-wrap gap-3 text-xs text-slate-600" aria-label="Seat states">
      {LEGEND.map((s) => (
        <li key={s} className="inline-flex items-center gap-1">
          <span aria-hidden className={cx("size-3 rounded ring-1", SEAT_STATE_CLASS[s])} />
          {SEAT_STATE_LABEL[s]}
          {s === "hot" && ` (≥ ${hotTempC} °C)`}
        </li>
      ))}
    </ul>
  );
}
