"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { downloadText } from "@/lib/download";
import { errorMessage } from "@/lib/errors";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { formatScore } from "./assignment-draft";

function LeaderboardSwitch({ classId, enabled }: { classId: string; enabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Shown switched at once; put back if the server refuses.
  const [on, setOn] = useState(enabled);
  const update = useMutation(
    trpc.class.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() }),
      onError: () => setOn(enabled),
    }),
  );
  return (
    <label className="flex items-center gap-2 text-sm text-slate-700">
      <input
        type="checkbox"
        checked={on}
        disabled={update.isPending}
        onChange={(e) => {
          setOn(e.target.checked);
          update.mutate({ id: classId, leaderboardEnabled: e.target.checked });
        }}
        data-testid="gradebook-leaderboard-toggle"
      />
      Leaderboard visible to students
      {update.error && <span className="text-xs text-red-700">{inputErrorMessage(update.error)}</span>}
    </label>
  );
}

/** The instructor's gradebook: a row per student, a column per assignment, the mean; CSV export. */
function TeacherGradebook({ classId, leaderboardEnabled }: { classId: string; leaderboardEnabled: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const book = useQuery(trpc.assignment.gradebook.queryOptions({ classId }));
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  async function exportCsv() {
    setExporting(true);
    setExportError(null);
    try {
      const { filename, csv } = await client.assignment.exportCsv.query({ classId });
      downloadText(filename, csv, "text/csv;charset=utf-8");
    } catch (e) {
      setExportError(errorMessage(e));
    } finally {
      setExporting(false);
    }
  }
  if (book.error) return <ErrorNotice>{inputErrorMessage(book.error)}</ErrorNotice>;
  if (!book.data) return <Loading label="Loading the gradebook…" />;
  const { assignments, rows } = book.data;
  return (
    <div className="space-y-3" data-testid="gradebook">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <LeaderboardSwitch classId={classId} enabled={leaderboardEnabled} />
        <Button onClick={exportCsv} disabled={exporting} data-testid="gradebook-download-csv">
          {exporting ? "Preparing…" : "Download CSV"}
        </Button>
      </div>
      {exportError && <ErrorNotice>{exportError}</ErrorNotice>}
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500">No students on the roster yet.</p>
      ) : (
        <DataTable
          frame={FRAME_CARD}
          testId="gradebook-table"
          headClassName="border-b border-slate-200 text-xs text-slate-500"
          thClassName="px-3 py-2 font-medium"
          head={[
            { label: "Student", className: "px-3 py-2 font-medium uppercase" },
            ...assignments.map((a) => ({
              key: a.id,
              label: (
                <>
                  {a.title}
                  {!a.published && <span className="ml-1 text-slate-400">(draft)</span>}
                </>
              ),
            })),
            { label: "Mean", className: "px-3 py-2 font-medium uppercase" },
          ]}
        >
          {rows.map((r) => (
            <tr key={r.student.id} data-testid="gradebook-row">
              <td className="px-3 py-2">
                <div className="font-medium text-slate-800">{r.student.name}</div>
                <div className="text-xs text-slate-500">{r.student.username}</div>
              </td>
              {r.cells.map((c) => (
                <td key={c.assignmentId} className="px-3 py-2 tabular-nums" data-testid="gradebook-cell">
                  <span className="font-medium">{formatScore(c.score)}</span>{" "}
                  {c.invalid && (
                    <Badge tone="red" title="the run did not qualify">
                      invalid
                    </Badge>
                  )}
                  {c.late && <Badge tone="amber">late</Badge>}
                  {c.overridden && <Badge tone="violet">overridden</Badge>}
                </td>
              ))}
              <td className="px-3 py-2 font-semibold tabular-nums">{formatScore(r.mean)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}

/** A student's own grades in the class (they never see anyone else's here). */
function StudentGrades({ classId }: { classId: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.assignment.list.queryOptions({ classId }));
  if (list.error) return <ErrorNotice>{inputErrorMessage(list.error)}</ErrorNotice>;
  if (!list.data) return <Loading label="Loading your grades…" />;
  if (list.data.length === 0) return <p className="text-sm text-slate-500">No grades yet.</p>;
  return (
    <DataTable testId="my-grades" thClassName="px-3 py-2" head={["Assignment", "Grade"]}>
      {list.data.map((a) => (
        <tr key={a.id}>
          <td className="px-3 py-2">
            <Link href={`/student/assignments/${a.id}`} className="text-sky-700 hover:underline">
              {a.title}
            </Link>
          </td>
          <td className="px-3 py-2 tabular-nums" data-testid="my-grade">
            {a.mine?.submitted ? formatScore(a.mine.grade) : "not submitted"}
            {a.mine?.overridden && (
              <Badge tone="violet" className="ml-1">
                overridden
              </Badge>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The class page's Gradebook tab. */
export function ClassGradebookTab({ classId }: { classId: string }) {
  const trpc = useTRPC();
  const cls = useQuery(trpc.class.get.queryOptions({ classId }));
  if (cls.error) return <ErrorNotice>{inputErrorMessage(cls.error)}</ErrorNotice>;
  if (!cls.data) return <Loading />;
  return cls.data.canTeach ? (
    <TeacherGradebook classId={classId} leaderboardEnabled={cls.data.leaderboardEnabled} />
  ) : (
    <StudentGrades classId={classId} />
  );
}
