"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { formatMs } from "@/components/runs/run-meta";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { Field, inputClass } from "@/components/ui/field";
import { Modal } from "@/components/ui/modal";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { describeTarget, describeValue, formatScore } from "./assignment-draft";

export type SubmissionView = RouterOutputs["assignment"]["submissions"][number];

/** Each target passed or missed, with the measured value and, when missed without one, why. */
export function ChecksList({ checks }: { checks: SubmissionView["checks"] }) {
  return (
    <ul className="space-y-1 text-sm" data-testid="submission-checks">
      {checks.map((c) => (
        <li key={c.target} className="flex flex-wrap items-center gap-2" data-testid={`check-${c.target}`}>
          <Badge tone={c.passed ? "green" : "red"}>{c.passed ? "Passed" : "Missed"}</Badge>
          <span className="text-slate-700">{describeTarget(c.target, c.limit)}</span>
          <span className="text-slate-500 tabular-nums">measured {describeValue(c.target, c.value)}</span>
          {c.reason && <span className="text-xs text-slate-500">({c.reason})</span>}
        </li>
      ))}
    </ul>
  );
}

/** The automatic grade and every override, newest first. */
export function GradeHistory({ s }: { s: SubmissionView }) {
  return (
    <ol className="space-y-1 text-sm" data-testid="grade-history">
      {s.overrides.map((o) => (
        <li key={o.id} className="text-slate-700">
          <span className="font-medium tabular-nums">{formatScore(o.score)}</span> by {o.by.name},{" "}
          {formatDateTime(new Date(o.createdAt))}: <span className="italic">“{o.comment}”</span>
        </li>
      ))}
      <li className="text-slate-500">
        <span className="font-medium tabular-nums">{formatScore(s.autoScore)}</span> automatic,{" "}
        {formatDateTime(new Date(s.submittedAt))}
        {s.daysLate > 0 && ` (${s.daysLate} ${s.daysLate === 1 ? "day" : "days"} late)`}
        {!s.valid && ` — not valid: ${s.invalidReason ?? "unknown reason"}`}
      </li>
    </ol>
  );
}

export function GradeBadges({ s }: { s: Pick<SubmissionView, "valid" | "daysLate" | "overridden"> }) {
  return (
    <span className="inline-flex gap-1">
      {!s.valid && <Badge tone="red">invalid</Badge>}
      {s.daysLate > 0 && <Badge tone="amber">late</Badge>}
      {s.overridden && <Badge tone="violet">overridden</Badge>}
    </span>
  );
}

function OverrideDialog({ s, onClose }: { s: SubmissionView; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [score, setScore] = useState(String(Math.round(s.score)));
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const override = useMutation(
    trpc.assignment.override.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.assignment.pathKey() });
        onClose();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    const n = Number(score);
    if (score.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) return setProblem("The grade is 0 to 100.");
    if (comment.trim() === "") return setProblem("Say why: the comment is kept with the grade.");
    setProblem(null);
    override.mutate({ submissionId: s.id, score: n, comment: comment.trim() });
  }
  return (
    <Modal
      open
      title={`Override the grade of ${s.student.name}`}
      onClose={onClose}
      busy={override.isPending}
      testId="override-dialog"
    >
      <form onSubmit={submit} noValidate className="space-y-3">
        <Field
          id="override-score"
          label="Grade (0–100)"
          type="number"
          min={0}
          max={100}
          value={score}
          onChange={(e) => setScore(e.target.value)}
        />
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700">Comment (required)</span>
          <textarea
            className={`${inputClass} min-h-20`}
            value={comment}
            maxLength={2000}
            onChange={(e) => setComment(e.target.value)}
            data-testid="override-comment"
          />
        </label>
        {(problem || override.error) && <ErrorNotice>{problem ?? inputErrorMessage(override.error)}</ErrorNotice>}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose} disabled={override.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" disabled={override.isPending} data-testid="override-save">
            {override.isPending ? "Saving…" : "Save grade"}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** For the instructor: every student's newest submission with its grade; older ones and the history on demand. */
export function SubmissionsPanel({ assignmentId }: { assignmentId: string }) {
  const trpc = useTRPC();
  const subs = useQuery(trpc.assignment.submissions.queryOptions({ assignmentId }));
  const [overriding, setOverriding] = useState<SubmissionView | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  if (subs.error) return <ErrorNotice>{inputErrorMessage(subs.error)}</ErrorNotice>;
  if (!subs.data) return <Loading label="Loading the submissions…" />;
  if (subs.data.length === 0) return <p className="text-sm text-slate-500">No submissions yet.</p>;
  // Newest first from the server: the first per student is the one that counts.
  const byStudent = new Map<string, SubmissionView[]>();
  for (const s of subs.data) byStudent.set(s.student.id, [...(byStudent.get(s.student.id) ?? []), s]);
  return (
    <div className="overflow-x-auto">
      <DataTable
        testId="submissions-table"
        thClassName="px-3 py-2"
        head={["Student", "Submitted", "Run", "Grade", { key: "actions" }]}
      >
        {[...byStudent.values()].map((list) => {
          const s = list[0] as SubmissionView;
          const expanded = open === s.id;
          return (
            <tr key={s.id} data-testid="submission-row" className="align-top">
              <td className="px-3 py-2">
                <div className="font-medium text-slate-800">{s.student.name}</div>
                <div className="text-xs text-slate-500">{s.student.username}</div>
              </td>
              <td className="px-3 py-2 text-slate-600">
                {formatDateTime(new Date(s.submittedAt))}
                {list.length > 1 && <div className="text-xs text-slate-400">{list.length} submissions</div>}
              </td>
              <td className="px-3 py-2 text-slate-600">
                <Link href={`/runs/${s.runId}`} className="text-sky-700 hover:underline">
                  {s.run.variant} on {s.run.deviceName}
                </Link>
                <div className="text-xs text-slate-500">p95 {formatMs(s.run.p95Ms)}</div>
                {expanded && (
                  <div className="mt-2 space-y-2">
                    <ChecksList checks={s.checks} />
                    <GradeHistory s={s} />
                  </div>
                )}
              </td>
              <td className="px-3 py-2">
                <span className="font-semibold tabular-nums" data-testid="submission-grade">
                  {formatScore(s.score)}
                </span>{" "}
                <GradeBadges s={s} />
              </td>
              <td className="px-3 py-2 text-right whitespace-nowrap">
                <Button size="sm" variant="ghost" onClick={() => setOpen(expanded ? null : s.id)}>
                  {expanded ? "Hide" : "Details"}
                </Button>
                <Button size="sm" onClick={() => setOverriding(s)} data-testid="override-open">
                  Override
                </Button>
              </td>
            </tr>
          );
        })}
      </DataTable>
      {overriding && <OverrideDialog s={overriding} onClose={() => setOverriding(null)} />}
    </div>
  );
}
