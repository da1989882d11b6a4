"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useRef, useState } from "react";
import { EnrollCommand } from "@/components/enroll-command";
import { FleetTable } from "@/components/fleet/fleet-table";
import { TileGrid } from "@/components/fleet/tile-grid";
import { type FleetOrder, orderFleet } from "@/components/fleet/virtual-grid";
import { Button } from "@/components/ui/button";
import { ErrorNotice, InfoNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useFleet } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";

function EmptyFleet({ instructor }: { instructor: boolean }) {
  return (
    <section
      className="mx-auto max-w-2xl rounded-lg bg-white p-8 shadow-xs ring-1 ring-slate-200"
      data-testid="devices-empty"
    >
      <h2 className="text-lg font-semibold text-slate-900">
        {instructor ? "No machines in your labs yet" : "No machines yet"}
      </h2>
      {instructor && (
        <p className="mt-2 text-sm text-slate-600" data-testid="devices-empty-scope">
          You see the machines of your labs: the labs you made, and the labs where your classes have sessions. Schedule
          a session in a lab from one of your classes and its machines appear here; or make a lab and enroll machines
          into it as below.
        </p>
      )}
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
  const me = useQuery(trpc.user.me.queryOptions());
  const live = fleet.status === "ready";
  // Until (or unless) the live snapshot arrives, the plain list keeps the page useful.
  // Tiles stay the default; the table is for searching, filtering and sorting a large fleet.
  const [view, setView] = useState<"tiles" | "table">("tiles");
  const list = useQuery(
    trpc.device.list.queryOptions(undefined, { enabled: !live, refetchInterval: live ? false : 10_000 }),
  );
  // The order survives flushes that only change numbers: re-sorting 1,000 names four times a second is waste.
  const order = useRef<FleetOrder | null>(null);
  const devices = useMemo(() => {
    const source = live ? fleet.devices : list.data ? new Map(list.data.map((d) => [d.id, d])) : null;
    if (!source) return null;
    const next = orderFleet(source, order.current);
    order.current = next.order;
    return next.list;
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
          <div className="flex items-center gap-3">
            <fieldset className="inline-flex rounded-md ring-1 ring-slate-300" aria-label="View">
              <Button
                size="sm"
                variant={view === "tiles" ? "primary" : "ghost"}
                aria-pressed={view === "tiles"}
                onClick={() => setView("tiles")}
                data-testid="view-tiles"
              >
                Tiles
              </Button>
              <Button
                size="sm"
                variant={view === "table" ? "primary" : "ghost"}
                aria-pressed={view === "table"}
                onClick={() => setView("table")}
                data-testid="view-table"
              >
                List
              </Button>
            </fieldset>
            <Link href="/tokens" className="text-sm font-medium text-sky-700 hover:text-sky-900">
              Enroll more machines →
            </Link>
          </div>
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
        <EmptyFleet instructor={me.data?.role === "instructor"} />
      ) : view === "table" ? (
        <FleetTable devices={devices} />
      ) : (
        <TileGrid devices={devices} />
      )}
    </div>
  );
}
