"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { describeLatePolicy, describeTarget, formatScore } from "./assignment-draft";
import { AssignmentForm } from "./assignment-form";
import { Markdown } from "./markdown";
import { SubmissionsPanel } from "./submissions-panel";

type Item = RouterOutputs["assignment"]["list"][number];

function TargetsLine({ a }: { a: Item }) {
  const t = a.targets;
  if (!t) return null;
  const parts = [
    t.accuracyMin !== undefined ? describeTarget("accuracyMin", t.accuracyMin) : null,
    t.p95MsMax !== undefined ? describeTarget("p95MsMax", t.p95MsMax) : null,
    t.energyJMax !== undefined ? describeTarget("energyJMax", t.energyJMax) : null,
  ].filter(Boolean);
  return <p className="text-xs text-slate-500">Targets: {parts.join(" · ")}</p>;
}

/** One assignment, for the instructor: publish, edit, delete, its instructions and its submissions. */
function TeacherAssignment({ a, classId }: { a: Item; classId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [showSubs, setShowSubs] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.assignment.pathKey() });
  const publish = useMutation(trpc.assignment.publish.mutationOptions({ onSuccess: refresh }));
  const unpublish = useMutation(trpc.assignment.unpublish.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.assignment.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(false);
        await refresh();
      },
    }),
  );
  const error = publish.error ?? unpublish.error;
  if (editing) {
    return (
      <Card title={`Edit “${a.title}”`}>
        <AssignmentForm classId={classId} assignment={a} onDone={() => setEditing(false)} />
      </Card>
    );
  }
  return (
    <li className="rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200" data-testid="assignment-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h3 className="font-medium text-slate-900" data-testid="assignment-title">
            {a.title}
          </h3>
          <p className="text-xs text-slate-500">
            {a.kind === "evaluation" ? "Evaluation" : "Benchmark"} · due {formatDateTime(new Date(a.dueAt))} ·{" "}
            {a.versions.map((v) => `${v.model.name} ${v.variant}`).join(", ")}
          </p>
          <TargetsLine a={a} />
          <p className="text-xs text-slate-500">{describeLatePolicy(a.latePolicy)}</p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {a.publishedAt ? <Badge tone="green">Published</Badge> : <Badge>Draft</Badge>}
          <span className="text-xs text-slate-500">{a.submittedCount ?? 0} submitted</span>
          {a.publishedAt ? (
            <Button size="sm" onClick={() => unpublish.mutate({ id: a.id })} disabled={unpublish.isPending}>
              Unpublish
            </Button>
          ) : (
            <Button
              size="sm"
              variant="primary"
              onClick={() => publish.mutate({ id: a.id })}
              disabled={publish.isPending}
              data-testid="assignment-publish"
            >
              Publish
            </Button>
          )}
          <Button size="sm" onClick={() => setEditing(true)}>
            Edit
          </Button>
          <Button size="sm" variant="danger" onClick={() => setDeleting(true)}>
            Delete
          </Button>
          <Button
            size="sm"
            variant="ghost"
            onClick={() => setShowSubs((s) => !s)}
            aria-expanded={showSubs}
            data-testid="assignment-submissions-toggle"
          >
            {showSubs ? "Hide submissions" : "Submissions"}
          </Button>
        </div>
      </div>
      {error && <ErrorNotice className="mt-2">{inputErrorMessage(error)}</ErrorNotice>}
      {showSubs && (
        <div className="mt-3 space-y-3 border-t border-slate-100 pt-3">
          <details>
            <summary className="cursor-pointer text-sm text-slate-600">Instructions</summary>
            <Markdown source={a.instructions} />
          </details>
          <SubmissionsPanel assignmentId={a.id} />
        </div>
      )}
      <ConfirmDialog
        open={deleting}
        title={`Delete “${a.title}”?`}
        confirmLabel="Delete"
        busy={remove.isPending}
        error={remove.error ? inputErrorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ id: a.id })}
        onCancel={() => setDeleting(false)}
      >
        An assignment that students have submitted to cannot be deleted; unpublish it instead.
      </ConfirmDialog>
    </li>
  );
}

/** One assignment, for a student: a link to its page and where they stand. */
function StudentAssignment({ a }: { a: Item }) {
  const mine = a.mine;
  return (
    <li className="rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200" data-testid="assignment-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <Link
            href={`/student/assignments/${a.id}`}
            className="font-medium text-sky-700 hover:underline"
            data-testid="assignment-link"
          >
            {a.title}
          </Link>
          <p className="text-xs text-slate-500">Due {formatDateTime(new Date(a.dueAt))}</p>
          <TargetsLine a={a} />
        </div>
        <div className="text-right text-sm" data-testid="assignment-status">
          {mine?.submitted ? (
            <>
              <span className="font-semibold tabular-nums">{formatScore(mine.grade)}</span>
              <span className="text-slate-500"> / 100</span> {mine.valid === false && <Badge tone="red">invalid</Badge>}
              {mine.daysLate > 0 && <Badge tone="amber">late</Badge>}
              {mine.overridden && <Badge tone="violet">overridden</Badge>}
            </>
          ) : (
            <Badge>Not submitted</Badge>
          )}
        </div>
      </div>
    </li>
  );
}

/** The class page's Assignments tab: instructors write and grade; students see the published ones and their status. */
export function ClassAssignmentsTab({ classId }: { classId: string }) {
  const trpc = useTRPC();
  const cls = useQuery(trpc.class.get.queryOptions({ classId }));
  const list = useQuery(trpc.assignment.list.queryOptions({ classId }));
  const [creating, setCreating] = useState(false);
  const canTeach = cls.data?.canTeach ?? false;
  if (list.error) return <ErrorNotice>{inputErrorMessage(list.error)}</ErrorNotice>;
  if (!list.data || !cls.data) return <Loading label="Loading the assignments…" />;
  return (
    <div className="space-y-4" data-testid="class-assignments">
      {canTeach && !creating && (
        <Button variant="primary" onClick={() => setCreating(true)} data-testid="assignment-new">
          New assignment
        </Button>
      )}
      {canTeach && creating && (
        <Card title="New assignment">
          <AssignmentForm classId={classId} assignment={null} onDone={() => setCreating(false)} />
        </Card>
      )}
      {list.data.length === 0 ? (
        <p className="text-sm text-slate-500">
          {canTeach ? "No assignments yet." : "Nothing has been assigned to this class yet."}
        </p>
      ) : (
        <ul className="space-y-3">
          {list.data.map((a) =>
            canTeach ? (
              <TeacherAssignment key={a.id} a={a} classId={classId} />
            ) : (
              <StudentAssignment key={a.id} a={a} />
            ),
          )}
        </ul>
      )}
    </div>
  );
}
