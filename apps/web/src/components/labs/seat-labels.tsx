"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { errorCode, errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ErrorNotice, Loading } from "../ui/notice";

/**
 * One printable label per seat: the lab, the seat and the code a student types to check in. On paper the app's
 * header and these controls disappear and the labels flow in a grid that never splits one across pages.
 */
export function SeatLabels({ labId }: { labId: string }) {
  const trpc = useTRPC();
  const codes = useQuery(trpc.labSession.seatCodes.queryOptions({ labId }));
  const back = (
    <Link
      href={`/labs/${encodeURIComponent(labId)}`}
      className="text-sm text-slate-500 hover:text-slate-800 print:hidden"
    >
      ← Room map
    </Link>
  );
  if (codes.error) {
    return (
      <div className="space-y-4">
        {back}
        <ErrorNotice>
          {errorCode(codes.error) === "NOT_FOUND" ? "This lab does not exist." : errorMessage(codes.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!codes.data) return <Loading label="Loading the seat codes…" />;
  const { labName } = codes.data;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3 print:hidden">
        <div>
          {back}
          <h1 className="mt-2 text-xl font-semibold text-slate-900">Seat labels · {labName}</h1>
          <p className="text-sm text-slate-500">
            Stick each label on its machine. Students check in to their seat with its code.
          </p>
        </div>
        <Button variant="primary" onClick={() => window.print()}>
          Print labels
        </Button>
      </div>
      {codes.data.codes.length === 0 ? (
        <p className="text-sm text-slate-600">This lab has no devices yet.</p>
      ) : (
        <ul
          className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 print:grid-cols-3 print:gap-2"
          data-testid="seat-labels"
        >
          {codes.data.codes.map((c) => (
            <li
              key={c.deviceId}
              className="break-inside-avoid rounded-lg border-2 border-dashed border-slate-400 bg-white p-3 text-center print:rounded-none"
              data-testid="seat-label"
              data-seat-code={c.seatCode}
            >
              <div className="text-xs text-slate-600">{labName}</div>
              <div className="text-sm font-semibold text-slate-900">
                Seat {c.seatLabel ?? "(not placed)"} · {c.deviceName}
              </div>
              <div className="mt-1 font-mono text-3xl font-bold tracking-[0.2em] text-slate-900">{c.seatCode}</div>
              <div className="mt-1 text-[11px] text-slate-600">Check in with this code on LabFleet</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
