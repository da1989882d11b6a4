"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { cx } from "@/components/ui/cx";
import { useTRPC } from "@/lib/trpc";
import { useLiveAlerts } from "./use-live-alerts";

/** The count of firing alerts in the header, live; a link to the feed. Rendered for staff only. */
export function AlertsBadge() {
  const trpc = useTRPC();
  useLiveAlerts();
  // The poll is a safety net for a tab whose socket is down; the broadcast is what makes it live.
  const counts = useQuery(trpc.alert.counts.queryOptions(undefined, { refetchInterval: 60_000 }));
  const firing = counts.data?.firing ?? 0;
  return (
    <Link
      href="/alerts"
      data-testid="alerts-badge"
      data-count={firing}
      aria-label={`${firing} firing ${firing === 1 ? "alert" : "alerts"}`}
      title="Firing alerts"
      className={cx(
        "inline-flex min-w-7 items-center justify-center gap-1 rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset",
        firing > 0 ? "bg-red-600 text-white ring-red-700" : "bg-slate-100 text-slate-600 ring-slate-200",
      )}
    >
      <span aria-hidden>⚠</span>
      {firing}
    </Link>
  );
}
