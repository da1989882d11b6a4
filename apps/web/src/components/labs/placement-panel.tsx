"use client";

import type { DeviceSummary, Seat } from "@labfleet/protocol";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { inputClass } from "../ui/field";
import { ErrorNotice } from "../ui/notice";
import { inputErrorMessage as errorMessage } from "./input-error";

const NOT_PLACED = "";

/**
 * The lab's devices and where each sits. Choosing a seat places (or moves) a device; choosing "not placed" takes
 * it off its seat. Devices of other labs and of no lab can be brought in from the list at the bottom.
 */
export function PlacementPanel({
  labId,
  seats,
  devices,
  onChanged,
}: {
  labId: string;
  seats: readonly Seat[];
  devices: ReadonlyMap<string, DeviceSummary>;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const all = useQuery(trpc.device.list.queryOptions(undefined, { staleTime: 30_000 }));
  const onSettled = () => onChanged();
  const onError = (e: unknown) => setError(errorMessage(e));
  const place = useMutation(
    trpc.lab.placeDevice.mutationOptions({ onSettled, onError, onSuccess: () => setError(null) }),
  );
  const unplace = useMutation(
    trpc.lab.unplaceDevice.mutationOptions({ onSettled, onError, onSuccess: () => setError(null) }),
  );
  const seatOf = new Map(seats.filter((s) => s.deviceId).map((s) => [s.deviceId as string, s.label]));
  const free = seats.filter((s) => !s.deviceId);
  const lab = [...devices.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const unplaced = lab.filter((d) => !seatOf.has(d.id));
  const outside = (all.data ?? []).filter((d) => d.labId !== labId && d.status !== "revoked");

  function choose(deviceId: string, label: string) {
    if (label === NOT_PLACED) unplace.mutate({ deviceId });
    else place.mutate({ labId, seatLabel: label, deviceId });
  }

  return (
    <aside className="space-y-4" aria-label="Placement">
      {error && <ErrorNotice testId="placement-error">{error}</ErrorNotice>}
      <section>
        <h2 className="text-sm font-semibold text-slate-900">Not placed ({unplaced.length})</h2>
        {unplaced.length === 0 ? (
          <p className="mt-1 text-xs text-slate-500" data-testid="unplaced-empty">
            Every device of this lab has a seat.
          </p>
        ) : (
          <ul className="mt-2 space-y-1" data-testid="unplaced-devices">
            {unplaced.map((d) => (
              <li key={d.id} className="text-sm text-slate-700" data-testid={`unplaced-${d.id}`}>
                {d.name}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2 className="text-sm font-semibold text-slate-900">Seats</h2>
        <ul className="mt-2 space-y-2">
          {lab.map((d) => (
            <li key={d.id} className="flex items-center justify-between gap-2 text-sm">
              <span className="min-w-0 flex-1 truncate text-slate-700">{d.name}</span>
              <select
                aria-label={`Seat of ${d.name}`}
                data-testid={`place-${d.id}`}
                className={`${inputClass} w-28! shrink-0`}
                value={seatOf.get(d.id) ?? NOT_PLACED}
                onChange={(e) => choose(d.id, e.target.value)}
                disabled={place.isPending || unplace.isPending}
              >
                <option value={NOT_PLACED}>not placed</option>
                {seatOf.get(d.id) && <option value={seatOf.get(d.id)}>{seatOf.get(d.id)}</option>}
                {free.map((s) => (
                  <option key={s.id} value={s.label}>
                    {s.label}
                  </option>
                ))}
              </select>
            </li>
          ))}
        </ul>
      </section>
      {outside.length > 0 && free.length > 0 && (
        <section>
          <h2 className="text-sm font-semibold text-slate-900">Bring a device into this lab</h2>
          <ul className="mt-2 space-y-2">
            {outside.map((d) => (
              <li key={d.id} className="flex items-center justify-between gap-2 text-sm">
                <span className="min-w-0 flex-1 truncate text-slate-700">{d.name}</span>
                <select
                  aria-label={`Seat for ${d.name}`}
                  data-testid={`bring-${d.id}`}
                  className={`${inputClass} w-28! shrink-0`}
                  value={NOT_PLACED}
                  onChange={(e) => choose(d.id, e.target.value)}
                  disabled={place.isPending}
                >
                  <option value={NOT_PLACED}>choose…</option>
                  {free.map((s) => (
                    <option key={s.id} value={s.label}>
                      {s.label}
                    </option>
                  ))}
                </select>
              </li>
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}
