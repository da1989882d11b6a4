"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { DeviceTile } from "@/components/device-tile";
import { EnrollCommand } from "@/components/enroll-command";
import { ErrorNotice, InfoNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useFleet } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";

const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Seat order: by name with numbers compared as numbers (pc-2 before pc-10); revoked machines last. */
function sortDevices(devices: Iterable<DeviceSummary>): DeviceSummary[] {
  return [...devices].sort((a, b) => {
    const revoked = Number(a.status === "revoked") - Number(b.status === "revoked");
    return revoked !== 0 ? revoked : byName.compare(a.name, b.name) || a.id.localeCompare(b.id);
  });
}

function EmptyFleet() {
  return (
    <section
      className="mx-auto max-w-2xl rounded-lg bg-white p-8 shadow-xs ring-1 ring-slate-200"
      data-testid="devices-empty"
    >
      <h2 className="text-lg font-semibold text-slate-900">No machines yet</h2>
      <p className="mt-2 text-sm text-slate-600">
        Each mini PC joins LabFleet once, with an enrollment token. Afterwards it reports here live, and keeps reporting
        through reboots and network loss.
      </p>
      <ol className="mt-5 space-y-5 text-sm text-slate-700">
        <li>
          <p className="font-medium">
            1. Create an enrollment token on the{" "}
            <Link href="/tokens" className="text-sky-700 underline underline-offset-2 hover:text-sky-900">
              Enrollment tokens
            </Link>{" "}
            page. One token can enroll a whole room.
          </p>
        </li>
        <li>
          <p className="mb-2 font-medium">2. On each mini PC, with the agent installed, run:</p>
          <EnrollCommand token="<token>" />
        </li>
        <li>
          <p className="font-medium">3. The machine appears on this page within seconds.</p>
        </li>
      </ol>
    </section>
  );
}

export default function DevicesPage() {
  const trpc = useTRPC();
  const fleet = useFleet();
  const live = fleet.status === "ready";
  // Until (or unless) the live snapshot arrives, the plain list keeps the page useful.
  const list = useQuery(
    trpc.device.list.queryOptions(undefined, { enabled: !live, refetchInterval: live ? false : 10_000 }),
  );
  const devices = useMemo(() => {
    if (live) return sortDevices(fleet.devices.values());
    return list.data ? sortDevices(list.data) : null;
  }, [live, fleet.devices, list.data]);

  const online = devices?.filter((d) => d.status === "online").length ?? 0;
  const offline = devices?.filter((d) => d.status === "offline").length ?? 0;

  return (
    <div>
      <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Devices</h1>
          {devices && devices.length > 0 && (
            <p className="mt-0.5 text-sm text-slate-500" data-testid="fleet-summary">
              {devices.length} {devices.length === 1 ? "machine" : "machines"} · {online} online · {offline} offline
            </p>
          )}
        </div>
        {devices && devices.length > 0 && (
          <Link href="/tokens" className="text-sm font-medium text-sky-700 hover:text-sky-900">
            Enroll more machines →
          </Link>
        )}
      </div>

      {!live && fleet.status === "error" && devices && (
        <InfoNotice className="mb-4">
          Live updates are unavailable right now ({fleet.error}). Showing the list, refreshed every 10 seconds.
        </InfoNotice>
      )}

      {devices === null ? (
        list.error ? (
          <ErrorNotice>{errorMessage(list.error)}</ErrorNotice>
        ) : (
          <Loading label="Loading machines…" />
        )
      ) : devices.length === 0 ? (
        <EmptyFleet />
      ) : (
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4" aria-label="Machines">
          {devices.map((device) => (
            <DeviceTile key={device.id} device={device} />
          ))}
        </ul>
      )}
    </div>
  );
}
