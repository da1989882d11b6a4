"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { formatPercent, formatTempC } from "@/lib/format";
import { useDeviceLive } from "@/lib/socket";
import { useTRPC } from "@/lib/trpc";
import { StatusDot } from "../status-dot";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { Card, ErrorNotice, Loading } from "../ui/notice";
import { formatWindow, SessionStatusBadge } from "./session-status";
import { useSessionLive } from "./use-session-live";

type Summary = RouterOutputs["labSession"]["mine"]["sessions"][number];
type StudentView = Extract<RouterOutputs["labSession"]["get"], { viewer: "student" }>;

function useInvalidateSessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.labSession.pathKey() });
}

function CheckInForm({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateSessions();
  const [code, setCode] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const checkIn = useMutation(trpc.labSession.checkIn.mutationOptions({ onSuccess: invalidate }));
  function submit(e: FormEvent) {
    e.preventDefault();
    const seatCode = code.trim();
    setFieldError(seatCode ? null : "Type the code on the label of your seat.");
    if (seatCode) checkIn.mutate({ sessionId, seatCode });
  }
  return (
    <form onSubmit={submit} noValidate className="flex flex-wrap items-end gap-3" data-testid="check-in-form">
      <Field
        id={`seat-code-${sessionId}`}
        label="Seat code"
        value={code}
        onChange={(e) => setCode(e.target.value.toUpperCase())}
        error={fieldError}
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        maxLength={12}
        className="w-40"
        inputMode="text"
        hint="On the label of your machine"
      />
      <Button type="submit" variant="primary" disabled={checkIn.isPending}>
        {checkIn.isPending ? "Checking in…" : "Check in"}
      </Button>
      {checkIn.error && (
        <ErrorNotice className="w-full" testId="check-in-error">
          {errorMessage(checkIn.error)}
        </ErrorNotice>
      )}
    </form>
  );
}

/** The student's seat, live: whether it is online, its CPU and its temperature. */
function SeatState({ deviceId }: { deviceId: string }) {
  const live = useDeviceLive(deviceId);
  const device = live.device;
  if (!device) {
    return live.status === "error" ? (
      <p className="text-sm text-slate-500">Live state unavailable: {live.error?.message}</p>
    ) : (
      <p className="text-sm text-slate-500">Connecting to your seat…</p>
    );
  }
  return (
    <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm" data-testid="my-seat-state" data-status={device.status}>
      <div className="flex items-center gap-1.5">
        <StatusDot status={device.status} />
        <dd className="capitalize">{device.status}</dd>
      </div>
      <div>
        <dt className="inline text-slate-500">CPU </dt>
        <dd className="inline tabular-nums">{formatPercent(device.latest?.cpuLoadPct)}</dd>
      </div>
      <div>
        <dt className="inline text-slate-500">Temperature </dt>
        <dd className="inline tabular-nums">
          {device.latest?.cpuTempC == null ? "unknown" : formatTempC(device.latest.cpuTempC)}
        </dd>
      </div>
    </dl>
  );
}

function Hand({ session }: { session: StudentView }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateSessions();
  const [note, setNote] = useState("");
  const raise = useMutation(trpc.labSession.raiseHand.mutationOptions({ onSuccess: invalidate }));
  const lower = useMutation(trpc.labSession.lowerHand.mutationOptions({ onSuccess: invalidate }));
  const hand = session.myHand;
  if (hand) {
    return (
      <div className="flex flex-wrap items-center gap-3" data-testid="my-hand">
        <span className="rounded-md bg-amber-50 px-3 py-1.5 text-sm text-amber-900 ring-1 ring-amber-200">
          Hand raised: you are number {hand.position} in the queue.
        </span>
        <Button onClick={() => lower.mutate({ sessionId: session.id })} disabled={lower.isPending}>
          Lower hand
        </Button>
        {lower.error && <ErrorNotice className="w-full">{errorMessage(lower.error)}</ErrorNotice>}
      </div>
    );
  }
  return (
    <form
      className="flex flex-wrap items-end gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        raise.mutate({ sessionId: session.id, note: note.trim() || null }, { onSuccess: () => setNote("") });
      }}
    >
      <Field
        id={`hand-note-${session.id}`}
        label="What do you need help with? (optional)"
        value={note}
        maxLength={280}
        onChange={(e) => setNote(e.target.value)}
        className="min-w-64 flex-1"
      />
      <Button type="submit" disabled={raise.isPending} data-testid="raise-hand">
        Raise hand
      </Button>
      {raise.error && <ErrorNotice className="w-full">{errorMessage(raise.error)}</ErrorNotice>}
    </form>
  );
}

function ActiveSession({ summary }: { summary: Summary }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateSessions();
  const query = useQuery(trpc.labSession.get.queryOptions({ id: summary.id }));
  const checkOut = useMutation(trpc.labSession.checkOut.mutationOptions({ onSuccess: invalidate }));
  const s = query.data?.viewer === "student" ? query.data : null;
  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          {summary.title} <SessionStatusBadge status={summary.status} />
        </span>
      }
    >
      <div className="space-y-4" data-testid="active-session" data-session-id={summary.id}>
        <p className="text-sm text-slate-600">
          {summary.className} · {summary.labName} · {formatWindow(summary.startsAt, summary.endsAt)}
        </p>
        {query.error && <ErrorNotice>{errorMessage(query.error)}</ErrorNotice>}
        {!s ? (
          !query.error && <Loading label="Loading your seat…" />
        ) : s.myCheckIn ? (
          <div className="space-y-2">
            <div className="flex flex-wrap items-center gap-3">
              <p className="text-sm text-slate-800" data-testid="my-seat">
                You are at <span className="font-semibold">{s.myCheckIn.seatLabel ?? s.myCheckIn.deviceName}</span>
                {s.myCheckIn.seatCode && (
                  <span className="ml-1 font-mono text-slate-500">({s.myCheckIn.seatCode})</span>
                )}
              </p>
              <Button size="sm" variant="ghost" onClick={() => checkOut.mutate({ sessionId: s.id })}>
                Check out
              </Button>
            </div>
            <SeatState key={s.myCheckIn.deviceId} deviceId={s.myCheckIn.deviceId} />
          </div>
        ) : (
          <CheckInForm sessionId={summary.id} />
        )}
        {s && <Hand session={s} />}
        {summary.assignmentId && (
          <Link
            href={`/student/assignments/${encodeURIComponent(summary.assignmentId)}`}
            className="inline-block text-sm font-medium text-sky-800 hover:underline"
            data-testid="session-assignment-link"
          >
            Open the assignment: {summary.assignmentTitle} →
          </Link>
        )}
        {checkOut.error && <ErrorNotice>{errorMessage(checkOut.error)}</ErrorNotice>}
      </div>
    </Card>
  );
}

/** The student's home: their classes, the session running now (check in, seat, hand) and the sessions to come. */
export function StudentHome() {
  const trpc = useTRPC();
  const mine = useQuery(trpc.labSession.mine.queryOptions());
  useSessionLive();
  if (mine.error) return <ErrorNotice>{errorMessage(mine.error)}</ErrorNotice>;
  if (!mine.data) return <Loading label="Loading your classes…" />;
  const active = mine.data.sessions.filter((s) => s.status === "active");
  const upcoming = mine.data.sessions.filter((s) => s.status === "scheduled");
  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold text-slate-900">My classes</h1>
      {active.map((s) => (
        <ActiveSession key={s.id} summary={s} />
      ))}
      {active.length === 0 && (
        <p className="text-sm text-slate-600" data-testid="no-active-session">
          No lab session is running in your classes right now.
        </p>
      )}
      {upcoming.length > 0 && (
        <Card title="Coming up">
          <ul className="space-y-1 text-sm">
            {upcoming.map((s) => (
              <li key={s.id}>
                <span className="font-medium">{s.title}</span>{" "}
                <span className="text-slate-500">
                  · {s.className} · {s.labName} · {formatWindow(s.startsAt, s.endsAt)}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <Card
        title="Classes"
        actions={
          <Link href="/classes" className="text-sm text-sky-800 hover:underline">
            Join a class
          </Link>
        }
      >
        {mine.data.classes.length === 0 ? (
          <p className="text-sm text-slate-600">You are not in any class yet.</p>
        ) : (
          <ul className="space-y-1 text-sm" data-testid="my-classes">
            {mine.data.classes.map((c) => (
              <li key={c.id}>
                <Link
                  href={`/classes/${encodeURIComponent(c.id)}`}
                  className="font-medium text-sky-800 hover:underline"
                >
                  {c.name}
                </Link>{" "}
                <span className="text-slate-500">· {c.term}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
