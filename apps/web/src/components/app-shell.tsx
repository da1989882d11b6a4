"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, useState } from "react";
import { authClient } from "@/lib/auth-client";
import { useConnectionState } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";
import { AlertsBadge } from "./alerts/alerts-badge";
import { Badge } from "./ui/badge";
import { Button } from "./ui/button";
import { cx } from "./ui/cx";

const NAV = [
  { href: "/devices", label: "Devices" },
  { href: "/labs", label: "Labs" },
  { href: "/models", label: "Models" },
  { href: "/runs", label: "Runs" },
  { href: "/tokens", label: "Enrollment tokens" },
  { href: "/alerts", label: "Alerts" },
  { href: "/settings", label: "Settings" },
] as const;

const ROLE_LABEL = { admin: "Admin", instructor: "Instructor", student: "Student" } as const;

function ConnectionIndicator() {
  const state = useConnectionState();
  if (state === "idle") return null;
  const label =
    state === "live"
      ? "Live"
      : state === "connecting"
        ? "Connecting…"
        : state === "refused"
          ? "No live updates"
          : "Reconnecting…";
  return (
    <span
      className="hidden items-center gap-1.5 text-xs text-slate-500 sm:inline-flex"
      role="status"
      title="Live updates"
    >
      <span
        aria-hidden
        className={cx(
          "size-2 rounded-full",
          state === "live" ? "bg-emerald-500" : state === "refused" ? "bg-slate-400" : "animate-pulse bg-amber-400",
        )}
      />
      {label}
    </span>
  );
}

function UserMenu() {
  const trpc = useTRPC();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const [signingOut, setSigningOut] = useState(false);
  async function signOut() {
    setSigningOut(true);
    try {
      await authClient.signOut();
    } finally {
      // A full load drops every cached query and the live socket along with the session.
      window.location.assign("/login");
    }
  }
  return (
    <div className="flex items-center gap-3">
      {me.data && (
        <div className="hidden text-right leading-tight sm:block">
          <div className="text-sm font-medium text-slate-800" data-testid="current-user">
            {me.data.name || me.data.username || me.data.email}
          </div>
          <Badge tone="sky" className="mt-0.5" data-testid="current-role">
            {ROLE_LABEL[me.data.role] ?? me.data.role}
          </Badge>
        </div>
      )}
      <Button variant="ghost" size="sm" onClick={signOut} disabled={signingOut}>
        {signingOut ? "Signing out…" : "Sign out"}
      </Button>
    </div>
  );
}

/** Students have no alerts to see (and may not open the live socket): the badge is for staff only. */
function StaffAlertsBadge() {
  const trpc = useTRPC();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  return me.data && me.data.role !== "student" ? <AlertsBadge /> : null;
}

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
          <Link href="/devices" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-sky-700 text-xs text-white">
              LF
            </span>
            LabFleet
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1">
            {NAV.map((item) => {
              const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
              return (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={active ? "page" : undefined}
                  className={cx(
                    "rounded-md px-3 py-1.5 text-sm font-medium",
                    active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                  )}
                >
                  {item.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-4">
            <StaffAlertsBadge />
            <ConnectionIndicator />
            <UserMenu />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6">{children}</main>
    </div>
  );
}
