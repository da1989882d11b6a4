"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorCode, errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { BackLink } from "../ui/back-link";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Card, ErrorNotice, InfoNotice, Loading } from "../ui/notice";
import { progressLabel } from "./occupants";
import { RescheduleSessionForm } from "./reschedule-form";
import { SessionRoom } from "./session-room";
import { formatWindow, SessionStatusBadge } from "./session-status";
import { useSessionLive } from "./use-session-live";

type TeacherView = Extract<RouterOutputs["labSession"]["get"], { viewer: "teacher" }>;
type StartResult = RouterOutputs["labSession"]["start"];

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function HelpQueue({ session }: { session: TeacherView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const answer = useMutation(
    trpc.labSession.answer.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.labSession.get.queryKey({ id: session.id }) }),
    }),
  );
  if (session.helpQueue.length === 0) {
    return (
      <p className="text-sm text-slate-500" data-testid="help-queue-empty">
        No hands raised.
      </p>
    );
  }
  return (
    <ol className="space-y-2" data-testid="help-queue">
      {session.helpQueue.map((h) => (
        <li key={h.id} className="flex items-start gap-3 rounded-md bg-amber-50 p-2 ring-1 ring-amber-200">
          <span className="grid size-6 shrink-0 place-items-center rounded-full bg-amber-500 text-xs font-bold text-white">
            {h.position}
          </span>
          <div className="min-w-0 flex-1 text-sm">
            <div className="font-medium text-slate-900">
              {h.studentName}
              <span className="ml-1 font-normal text-slate-500">
                {h.seatLabel ? `at ${h.seatLabel}` : "not at a seat"} · {timeFormat.format(h.raisedAt)}
              </span>
            </div>
            {h.note && <p className="mt-0.5 break-words text-slate-700">{h.note}</p>}
          </div>
          <Button
            size="sm"
            onClick={() => answer.mutate({ helpRequestId: h.id })}
            disabled={answer.isPending}
            data-testid="answer-hand"
          >
            Answered
          </Button>
        </li>
      ))}
      {answer.error && <ErrorNotice>{errorMessage(answer.error)}</ErrorNotice>}
    </ol>
  );
}

function Students({ session }: { session: TeacherView }) {
  if (session.checkIns.length === 0) {
    return <p className="text-sm text-slate-500">Nobody has checked in yet. Students type the code on their seat.</p>;
  }
  return (
    <table className="w-full text-sm" data-testid="checked-in">
      <thead className="text-left text-xs text-slate-500">
        <tr>
          <th className="py-1 font-medium">Student</th>
          <th className="py-1 font-medium">Seat</th>
          <th className="py-1 font-medium">Latest run</th>
        </tr>
      </thead>
      <tbody>
        {session.checkIns.map((c) => {
          const p = progressLabel(c.progress);
          return (
            <tr key={c.studentId} className="border-t border-slate-100">
              <td className="py-1.5">{c.studentName}</td>
              <td className="py-1.5">{c.seatLabel ?? c.deviceName}</td>
              <td className="py-1.5">
                {c.progress ? (
                  <Link href={`/runs/${encodeURIComponent(c.progress.runId)}`} className="text-sky-800 hover:underline">
                    {p.progress}
                  </Link>
                ) : (
                  <span className="text-slate-400">none yet</span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Preparation({ session, started }: { session: TeacherView; started: StartResult | null }) {
  if (!session.assignmentId) return <p className="text-sm text-slate-500">No assignment: nothing to deploy.</p>;
  return (
    <div className="space-y-3 text-sm" data-testid="preparation">
      {started && (
        <p className="text-slate-700">
          {started.preparation.deployed.length === 0
            ? "Every seat already had the assignment's models."
            : `Deployed ${started.preparation.deployed
                .map((d) => `${d.label} to ${d.deviceIds.length} seat${d.deviceIds.length === 1 ? "" : "s"}`)
                .join(", ")}.`}
        </p>
      )}
      {session.preparation.versions.map((v) => (
        <div key={v.versionId}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium text-slate-800">{v.label}</span>
            <Badge tone={v.ready === v.devices ? "green" : "sky"}>
              ready on {v.ready} of {v.devices}
            </Badge>
            {v.deployed > v.ready && <Badge tone="amber">{v.deployed - v.ready} on the way</Badge>}
          </div>
          {v.misfits.length > 0 && (
            <ul className="mt-1 list-inside list-disc text-slate-600" data-testid="preparation-misfits">
              {v.misfits.map((m) => (
                <li key={m.deviceId}>
                  <span className="font-medium">{m.deviceName}</span>: {m.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </div>
  );
}

/** The instructor's live session page: start and end, the room, the help queue, the students' progress. */
export function InstructorSession({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.labSession.get.queryOptions({ id }));
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [moving, setMoving] = useState(false);
  const [started, setStarted] = useState<StartResult | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.labSession.pathKey() });
  const start = useMutation(
    trpc.labSession.start.mutationOptions({
      onSuccess: (r) => setStarted(r),
      onSettled: refresh,
    }),
  );
  const end = useMutation(
    trpc.labSession.end.mutationOptions({
      onSuccess: () => setConfirmEnd(false),
      onSettled: refresh,
    }),
  );
  useSessionLive();

  if (query.error) {
    return (
      <div>
        <BackLink href="/classes" label="Classes" />
        <ErrorNotice testId="session-error">
          {errorCode(query.error) === "NOT_FOUND" ? "This session does not exist." : errorMessage(query.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!query.data) return <Loading label="Loading the session…" />;
  const s = query.data;
  if (s.viewer !== "teacher") {
    return <InfoNotice>This page is for the class's instructors. Your session is on your own page.</InfoNotice>;
  }
  const hands = s.helpQueue.map((h) => ({ deviceId: h.deviceId, position: h.position }));
  return (
    <div className="space-y-4">
      <BackLink href={`/classes/${encodeURIComponent(s.classId)}`} label={s.className} />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="flex items-center gap-2 text-xl font-semibold text-slate-900" data-testid="session-title">
            {s.title} <SessionStatusBadge status={s.status} />
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {s.className} · {s.labName} · {formatWindow(s.startsAt, s.endsAt)}
            {s.assignmentTitle && ` · ${s.assignmentTitle}`}
          </p>
        </div>
        <div className="flex gap-2">
          <Link
            href={`/labs/${encodeURIComponent(s.labId)}/labels`}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-50"
          >
            Print seat labels
          </Link>
          {s.status === "scheduled" && (
            <Button onClick={() => setMoving(!moving)} aria-expanded={moving}>
              Reschedule
            </Button>
          )}
          {s.status === "scheduled" && (
            <Button variant="primary" onClick={() => start.mutate({ id })} disabled={start.isPending}>
              {start.isPending ? "Starting…" : "Start session"}
            </Button>
          )}
          {s.status === "active" && (
            <Button variant="primary" onClick={() => setConfirmEnd(true)}>
              End session
            </Button>
          )}
        </div>
      </div>
      {start.error && <ErrorNotice>{errorMessage(start.error)}</ErrorNotice>}
      {moving && s.status === "scheduled" && (
        <Card title="Move the session">
          <RescheduleSessionForm session={s} onDone={() => setMoving(false)} />
        </Card>
      )}
      <ConfirmDialog
        open={confirmEnd}
        title="End the session?"
        confirmLabel="End session"
        busy={end.isPending}
        error={end.error ? errorMessage(end.error) : null}
        onConfirm={() => end.mutate({ id })}
        onCancel={() => setConfirmEnd(false)}
      >
        Everyone is checked out, raised hands are closed, and runs still going are cancelled. The seats are then free
        for the next class.
      </ConfirmDialog>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[1fr_22rem]">
        <Card title={`The room · ${s.checkIns.length} checked in`}>
          <SessionRoom labId={s.labId} checkIns={s.checkIns} hands={hands} />
        </Card>
        <div className="space-y-4">
          <Card title={`Help queue${s.helpQueue.length ? ` · ${s.helpQueue.length}` : ""}`}>
            <HelpQueue session={s} />
          </Card>
          <Card title="Students">
            <Students session={s} />
          </Card>
          <Card title="Room preparation">
            <Preparation session={s} started={started} />
          </Card>
        </div>
      </div>
    </div>
  );
}
