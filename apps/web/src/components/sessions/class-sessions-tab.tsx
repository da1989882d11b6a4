"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { Card, ErrorNotice, Loading } from "../ui/notice";
import { RescheduleSessionForm } from "./reschedule-form";
import { ScheduleSessionForm } from "./schedule-form";
import { formatWindow, SessionStatusBadge } from "./session-status";
import { useSessionLive } from "./use-session-live";

/** A class's lab sessions: the list (newest first) and, for its teachers, the form to schedule one. */
export function ClassSessionsTab({ classId }: { classId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const sessions = useQuery(trpc.labSession.list.queryOptions({ classId }));
  const cancel = useMutation(
    trpc.labSession.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.labSession.list.queryKey({ classId }) }),
    }),
  );
  const [moving, setMoving] = useState<string | null>(null);
  useSessionLive();
  const teacher = me.data !== undefined && me.data.role !== "student";

  return (
    <div className="space-y-4" data-testid="class-sessions">
      {teacher && (
        <Card title="Schedule a lab session">
          <ScheduleSessionForm classId={classId} />
        </Card>
      )}
      {sessions.error ? (
        <ErrorNotice>{errorMessage(sessions.error)}</ErrorNotice>
      ) : !sessions.data ? (
        <Loading label="Loading sessions…" />
      ) : sessions.data.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="sessions-empty">
          No lab sessions yet.
        </p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg bg-white ring-1 ring-slate-200" data-testid="session-list">
          {sessions.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-3 px-4 py-3" data-testid="session-row">
              <div className="min-w-0 flex-1">
                {teacher ? (
                  <Link
                    href={`/sessions/${encodeURIComponent(s.id)}`}
                    className="font-medium text-sky-800 hover:underline"
                  >
                    {s.title}
                  </Link>
                ) : (
                  <span className="font-medium text-slate-900">{s.title}</span>
                )}
                <p className="text-xs text-slate-500">
                  {formatWindow(s.startsAt, s.endsAt)} · {s.labName}
                  {s.assignmentTitle && ` · ${s.assignmentTitle}`}
                  {s.autoStart && " · starts automatically"}
                  {s.status === "active" && ` · ${s.checkedIn} checked in`}
                </p>
              </div>
              <SessionStatusBadge status={s.status} />
              {teacher && s.status === "scheduled" && (
                <>
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => setMoving(moving === s.id ? null : s.id)}
                    aria-expanded={moving === s.id}
                  >
                    Reschedule
                  </Button>
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => cancel.mutate({ id: s.id })}
                    disabled={cancel.isPending}
                  >
                    Cancel
                  </Button>
                </>
              )}
              {teacher && s.status === "scheduled" && moving === s.id && (
                <div className="w-full">
                  <RescheduleSessionForm session={s} onDone={() => setMoving(null)} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {cancel.error && <ErrorNotice>{errorMessage(cancel.error)}</ErrorNotice>}
    </div>
  );
}
