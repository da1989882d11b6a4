"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import {
  describeProgress,
  describeSpec,
  formatAccuracy,
  formatMs,
  formatThroughput,
  isActive,
  runStatusOf,
} from "@/components/runs/run-meta";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { Field, SelectField } from "@/components/ui/field";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorCode } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import {
  type AssignmentView,
  describeLatePolicy,
  describeTarget,
  describeValue,
  formatScore,
  previewTargets,
} from "./assignment-draft";
import { Markdown } from "./markdown";
import { ChecksList, GradeBadges, GradeHistory } from "./submissions-panel";

type RunRow = RouterOutputs["assignment"]["myRuns"][number];

/** While a run of theirs is active the page polls this often; the socket may also push, but polling always works. */
const ACTIVE_POLL_MS = 1_500;

function SeatCard({ assignmentId }: { assignmentId: string }) {
  const trpc = useTRPC();
  const seat = useQuery(trpc.assignment.mySeat.queryOptions({ assignmentId }, { refetchInterval: 5_000 }));
  return (
    <Card title="Your seat">
      {seat.error && <ErrorNotice>{inputErrorMessage(seat.error)}</ErrorNotice>}
      {!seat.data && !seat.error && <Loading label="Finding your seat…" />}
      {seat.data && !seat.data.checkedIn && (
        <p className="text-sm text-slate-600" data-testid="seat-state" data-state="not-checked-in">
          You are not checked in. Check in to your seat (its code is on the label) from{" "}
          <a href="/student" className="text-sky-700 underline">
            your home page
          </a>{" "}
          during a lab session to start runs.
        </p>
      )}
      {seat.data?.checkedIn && (
        <div
          className="space-y-1 text-sm"
          data-testid="seat-state"
          data-state={seat.data.online ? "online" : "offline"}
        >
          <p>
            <span className="font-medium text-slate-900">{seat.data.seatLabel ?? seat.data.deviceName}</span>
            {seat.data.seatLabel && <span className="text-slate-500"> · {seat.data.deviceName}</span>}{" "}
            {seat.data.online ? <Badge tone="green">online</Badge> : <Badge tone="red">offline</Badge>}
          </p>
          <p className="text-slate-500">
            {seat.data.sessionTitle}
            {seat.data.sessionEndsAt && ` · until ${formatDateTime(new Date(seat.data.sessionEndsAt))}`}
          </p>
        </div>
      )}
    </Card>
  );
}

function RunForm({ a, canRun }: { a: AssignmentView; canRun: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [versionId, setVersionId] = useState(a.versions[0]?.id ?? "");
  const [threads, setThreads] = useState(String(a.baseSpec?.threads ?? a.bounds.threads?.min ?? ""));
  const [batch, setBatch] = useState(String(a.baseSpec?.batchSize ?? a.bounds.batchSize?.min ?? ""));
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation(
    trpc.assignment.startRun.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.assignment.myRuns.pathKey() }),
    }),
  );
  function inBounds(raw: string, r: { min: number; max: number } | undefined, name: string): number | undefined | null {
    if (!r) return undefined;
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(n) || n < r.min || n > r.max) {
      setProblem(`${name} must be a whole number from ${r.min} to ${r.max}.`);
      return null;
    }
    return n;
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    const t = inBounds(threads, a.bounds.threads, "Threads");
    const b = inBounds(batch, a.bounds.batchSize, "Batch size");
    if (t === null || b === null) return;
    start.mutate({
      assignmentId: a.id,
      versionId,
      ...(t !== undefined ? { threads: t } : {}),
      ...(b !== undefined ? { batchSize: b } : {}),
    });
  }
  return (
    <Card title="Start a run">
      <form onSubmit={submit} noValidate className="space-y-3" data-testid="run-form">
        <div className="flex flex-wrap gap-3">
          <SelectField
            label="Model variant"
            value={versionId}
            onChange={(e) => setVersionId(e.target.value)}
            className="min-w-56"
            data-testid="run-variant"
          >
            {a.versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.model.name} · {v.variant}
              </option>
            ))}
          </SelectField>
          {a.bounds.threads && (
            <Field
              id="run-threads"
              label={`Threads (${a.bounds.threads.min}–${a.bounds.threads.max})`}
              type="number"
              min={a.bounds.threads.min}
              max={a.bounds.threads.max}
              value={threads}
              onChange={(e) => setThreads(e.target.value)}
              className="w-44"
              data-testid="run-threads"
            />
          )}
          {a.bounds.batchSize && (
            <Field
              id="run-batch"
              label={`Batch size (${a.bounds.batchSize.min}–${a.bounds.batchSize.max})`}
              type="number"
              min={a.bounds.batchSize.min}
              max={a.bounds.batchSize.max}
              value={batch}
              onChange={(e) => setBatch(e.target.value)}
              className="w-44"
              data-testid="run-batch"
            />
          )}
        </div>
        <p className="text-xs text-slate-500">Everything else is fixed: {describeSpec(a.baseSpec)}.</p>
        {(problem || start.error) && (
          <ErrorNotice testId="run-error">{problem ?? inputErrorMessage(start.error)}</ErrorNotice>
        )}
        <Button type="submit" variant="primary" disabled={!canRun || start.isPending} data-testid="run-start">
          {start.isPending ? "Starting…" : "Start run"}
        </Button>
        {!canRun && <p className="text-xs text-slate-500">Check in to your seat first.</p>}
      </form>
    </Card>
  );
}

/** The targets for one finished run, read from its full result (energy lives there). */
function RunTargets({ run, a }: { run: RunRow; a: AssignmentView }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.run.get.queryOptions({ id: run.id }, { staleTime: Number.POSITIVE_INFINITY }));
  const energy = detail.data?.result?.system.energyJPerInference ?? null;
  const checks = previewTargets(a.targets, { accuracy: run.accuracy, p95Ms: run.p95Ms, energyJPerInference: energy });
  return (
    <div className="mt-1 space-y-0.5 text-xs" data-testid="run-targets">
      <div className="text-slate-500">
        Energy:{" "}
        {energy === null ? (detail.data ? "not reported by this device" : "…") : describeValue("energyJMax", energy)}
      </div>
      {checks.map((c) => (
        <div key={c.target} className={c.passed ? "text-emerald-700" : "text-red-700"}>
          {c.passed ? "✓" : "✗"} {describeTarget(c.target, c.limit)} (measured {describeValue(c.target, c.value)})
        </div>
      ))}
    </div>
  );
}

function RunsTable({ a, runs }: { a: AssignmentView; runs: RunRow[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const submit = useMutation(
    trpc.assignment.submit.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.assignment.pathKey() }),
    }),
  );
  if (runs.length === 0) return <p className="text-sm text-slate-500">No runs yet.</p>;
  return (
    <div className="space-y-2">
      {submit.error && <ErrorNotice testId="submit-error">{inputErrorMessage(submit.error)}</ErrorNotice>}
      <DataTable
        testId="run-table"
        thClassName="px-2 py-2"
        head={["Started", "Variant", "Status", "p50 / p95", "Throughput", "Accuracy", { key: "actions" }]}
      >
        {runs.map((r) => {
          const s = runStatusOf(r.status);
          return (
            <tr key={r.id} className="align-top" data-testid="run-row" data-run-id={r.id}>
              <td className="px-2 py-2 text-slate-600">{formatDateTime(new Date(r.createdAt))}</td>
              <td className="px-2 py-2">
                {r.version.variant}
                <div className="text-xs text-slate-500">{describeSpec(r.spec)}</div>
              </td>
              <td className="px-2 py-2">
                <Badge tone={s.tone} data-testid="run-status" data-status={r.status}>
                  {s.label}
                </Badge>
                {r.progress && isActive(r.status) && (
                  <div className="mt-1 text-xs text-slate-500" data-testid="run-progress">
                    {describeProgress(r.progress)}
                  </div>
                )}
                {r.errorMessage && <div className="mt-1 text-xs text-red-700">{r.errorMessage}</div>}
              </td>
              <td className="px-2 py-2 tabular-nums">
                {formatMs(r.p50Ms)} / {formatMs(r.p95Ms)}
              </td>
              <td className="px-2 py-2 tabular-nums">{formatThroughput(r.throughput)}</td>
              <td className="px-2 py-2 tabular-nums">
                {formatAccuracy(r.accuracy)}
                {r.status === "succeeded" && <RunTargets run={r} a={a} />}
              </td>
              <td className="px-2 py-2 text-right">
                {r.status === "succeeded" && (
                  <Button
                    size="sm"
                    variant="primary"
                    disabled={submit.isPending}
                    onClick={() => submit.mutate({ assignmentId: a.id, runId: r.id })}
                    data-testid="submit-run"
                  >
                    Submit
                  </Button>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </div>
  );
}

function MyGrade({ assignmentId }: { assignmentId: string }) {
  const trpc = useTRPC();
  const subs = useQuery(trpc.assignment.submissions.queryOptions({ assignmentId }));
  if (subs.error) return <ErrorNotice>{inputErrorMessage(subs.error)}</ErrorNotice>;
  if (!subs.data) return <Loading label="Loading your grade…" />;
  const [current, ...older] = subs.data;
  if (!current) return <p className="text-sm text-slate-500">Not submitted yet.</p>;
  return (
    <div className="space-y-3">
      <p className="text-sm">
        <span className="text-2xl font-semibold tabular-nums" data-testid="my-grade">
          {formatScore(current.score)}
        </span>
        <span className="text-slate-500"> / 100</span> <GradeBadges s={current} />
      </p>
      {!current.valid && (
        <ErrorNotice>This submission does not count: {current.invalidReason ?? "it did not qualify"}.</ErrorNotice>
      )}
      <ChecksList checks={current.checks} />
      <GradeHistory s={current} />
      {older.length > 0 && (
        <details className="text-sm">
          <summary className="cursor-pointer text-slate-600">Earlier submissions ({older.length})</summary>
          <ul className="mt-2 space-y-1">
            {older.map((s) => (
              <li key={s.id} className="text-slate-600">
                {formatDateTime(new Date(s.submittedAt))}: {formatScore(s.score)} <GradeBadges s={s} />
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function LeaderboardCard({ assignmentId }: { assignmentId: string }) {
  const trpc = useTRPC();
  const board = useQuery(trpc.assignment.leaderboard.queryOptions({ assignmentId }, { refetchInterval: 15_000 }));
  if (board.error) {
    return errorCode(board.error) === "FORBIDDEN" ? null : <ErrorNotice>{inputErrorMessage(board.error)}</ErrorNotice>;
  }
  if (!board.data) return null;
  return (
    <Card title="Leaderboard">
      {board.data.entries.length === 0 ? (
        <p className="text-sm text-slate-500">No valid submissions yet.</p>
      ) : (
        <ol className="space-y-1 text-sm" data-testid="leaderboard">
          {board.data.entries.map((e) => (
            <li key={e.rank} className={e.isMe ? "font-semibold text-sky-800" : "text-slate-700"}>
              {e.rank}. {e.name} — {formatScore(e.score)} · p95 {formatMs(e.p95Ms)}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

/** A student's assignment: instructions, their seat, runs within the bounds, results, submit, grade. */
export function StudentAssignment({ id }: { id: string }) {
  const trpc = useTRPC();
  const a = useQuery(trpc.assignment.get.queryOptions({ id }));
  const seat = useQuery(trpc.assignment.mySeat.queryOptions({ assignmentId: id }, { refetchInterval: 5_000 }));
  const runs = useQuery(
    trpc.assignment.myRuns.queryOptions(
      { assignmentId: id },
      { refetchInterval: (q) => (q.state.data?.some((r) => isActive(r.status)) ? ACTIVE_POLL_MS : false) },
    ),
  );
  const cls = useQuery({
    ...trpc.class.get.queryOptions({ classId: a.data?.classId ?? "" }),
    enabled: a.data !== undefined,
  });
  if (a.error) {
    return (
      <ErrorNotice testId="assignment-error">
        {errorCode(a.error) === "NOT_FOUND"
          ? "This assignment does not exist, or it is not one of yours."
          : inputErrorMessage(a.error)}
      </ErrorNotice>
    );
  }
  if (!a.data) return <Loading label="Loading the assignment…" />;
  const as = a.data;
  return (
    <div className="space-y-4" data-testid="student-assignment">
      <div>
        <h1 className="text-xl font-semibold text-slate-900" data-testid="assignment-heading">
          {as.title}
        </h1>
        <p className="text-sm text-slate-500">
          Due {formatDateTime(new Date(as.dueAt))}. {describeLatePolicy(as.latePolicy)}
        </p>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[1fr_20rem]">
        <Card title="Instructions">
          <Markdown source={as.instructions} testId="assignment-instructions" />
          {as.targets && (
            <div className="mt-3 border-t border-slate-100 pt-3 text-sm">
              <h3 className="mb-1 font-medium text-slate-700">Targets</h3>
              <ul className="list-disc pl-5 text-slate-700">
                {previewTargets(as.targets, { accuracy: null, p95Ms: null, energyJPerInference: null }).map((t) => (
                  <li key={t.target}>{describeTarget(t.target, t.limit)}</li>
                ))}
              </ul>
            </div>
          )}
        </Card>
        <div className="space-y-4">
          <SeatCard assignmentId={id} />
          <Card title="Your grade">
            <MyGrade assignmentId={id} />
          </Card>
        </div>
      </div>
      <RunForm a={as} canRun={seat.data?.checkedIn === true} />
      <Card title="Your runs">
        {runs.error && <ErrorNotice>{inputErrorMessage(runs.error)}</ErrorNotice>}
        {runs.data ? <RunsTable a={as} runs={runs.data} /> : <Loading label="Loading your runs…" />}
      </Card>
      {cls.data?.leaderboardEnabled && <LeaderboardCard assignmentId={id} />}
    </div>
  );
}
