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
import { Loading } from "./ui/notice";

const NAV = [
  { href: "/classes", label: "Classes" },
  { href: "/devices", label: "Devices" },
  { href: "/labs", label: "Labs" },
  { href: "/models", label: "Models" },
  { href: "/runs", label: "Runs" },
  { href: "/tokens", label: "Enrollment tokens" },
  { href: "/alerts", label: "Alerts" },
  { href: "/settings", label: "Settings" },
] as const;

const STUDENT_NAV = [{ href: "/student", label: "My classes" }] as const;

/** Where a student may go: their home (and its assignment pages) and the class pages, which handle students. */
const STUDENT_PATHS = ["/student", "/classes"];

function studentMayOpen(pathname: string): boolean {
  return STUDENT_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** A student who opened a staff page (an old link, a typed address) is told so, instead of meeting errors. */
function NotForStudents() {
  return (
    <div className="mx-auto max-w-lg rounded-lg bg-white p-6 text-center shadow-xs ring-1 ring-slate-200">
      <h1 className="text-lg font-semibold text-slate-900" data-testid="not-for-students">
        This page is not for students
      </h1>
      <p className="mt-2 text-sm text-slate-600">
        It is where instructors and admins look after the lab's machines. Your classes, sessions and assignments are on
        your own page.
      </p>
      <Link
        href="/student"
        className="mt-4 inline-block rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800"
      >
        Go to My classes
      </Link>
    </div>
  );
}

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
  const trpc = useTRPC();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const role = me.data?.role;
  const student = role === "student";
  // No links until the role is known: a student must never see the staff's menu flash by.
  const nav: readonly { href: string; label: string }[] = role === undefined ? [] : student ? STUDENT_NAV : NAV;
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white print:hidden">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
          <Link
            href={student ? "/student" : "/devices"}
            className="flex items-center gap-2 font-semibold text-slate-900"
          >
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-sky-700 text-xs text-white">
              LF
            </span>
            LabFleet
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1">
            {nav.map((item) => {
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
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6 print:max-w-none print:p-0">
        {me.isPending ? (
          // The role decides what this page may show: a student must not see a staff page fail first.
          <Loading />
        ) : student && !studentMayOpen(pathname) ? (
          <NotForStudents />
        ) : (
          children
        )}
      </main>
    </div>
  );
}
