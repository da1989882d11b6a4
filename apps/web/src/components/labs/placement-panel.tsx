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
  const callbacks = {
    onSettled: () => onChanged(),
    onError: (e: unknown) => setError(errorMessage(e)),
    onSuccess: () => setError(null),
  };
  const place = useMutation(trpc.lab.placeDevice.mutationOptions(callbacks));
  const unplace = useMutation(trpc.lab.unplaceDevice.mutationOptions(callbacks));
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
            <SeatSelectRow
              key={d.id}
              name={d.name}
              label={`Seat of ${d.name}`}
              testId={`place-${d.id}`}
              current={seatOf.get(d.id)}
              emptyLabel="not placed"
              free={free}
              onChoose={(label) => choose(d.id, label)}
              disabled={place.isPending || unplace.isPending}
            />
          ))}
        </ul>
      </section>
      {outside.length > 0 && free.length > 0 && (
        <section>
          <h2 className="text-sm font-semibold text-slate-900">Bring a device into this lab</h2>
          <ul className="mt-2 space-y-2">
            {outside.map((d) => (
              <SeatSelectRow
                key={d.id}
                name={d.name}
                label={`Seat for ${d.name}`}
                testId={`bring-${d.id}`}
                emptyLabel="choose…"
                free={free}
                onChoose={(label) => choose(d.id, label)}
                disabled={place.isPending}
              />
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}

/** A device's name and a seat picker: its current seat (if any), "none", and the free seats. */
function SeatSelectRow({
  name,
  label,
  testId,
  current,
  emptyLabel,
  free,
  onChoose,
  disabled,
}: {
  name: string;
  label: string;
  testId: string;
  current?: string | undefined;
  emptyLabel: string;
  free: readonly Seat[];
  onChoose: (seatLabel: string) => void;
  disabled: boolean;
}) {
  return (
    <li className="flex items-center justify-between gap-2 text-sm">
      <span className="min-w-0 flex-1 truncate text-slate-700">{name}</span>
      <select
        aria-label={label}
        data-testid={testId}
        className={`${inputClass} w-28! shrink-0`}
        value={current ?? NOT_PLACED}
        onChange={(e) => onChoose(e.target.value)}
        disabled={disabled}
      >
        <option value={NOT_PLACED}>{emptyLabel}</option>
        {current && <option value={current}>{current}</option>}
        {free.map((s) => (
          <option key={s.id} value={s.label}>
            {s.label}
          </option>
        ))}
      </select>
    </li>
  );
}
