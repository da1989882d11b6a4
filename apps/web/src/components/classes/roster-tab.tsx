"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { DataTable, FRAME_CARD, HEAD_SHADED } from "../ui/data-table";
import { Card, ErrorNotice, Loading } from "../ui/notice";
import { CredentialsSheet, type ShownCredential } from "./credentials-sheet";
import { RosterImport } from "./roster-import";

type Student = RouterOutputs["class"]["roster"][number];
type Pending = { kind: "remove" | "reset"; student: Student };

/** The students of a class: import, join code, remove, reset a password. */
export function RosterTab({
  classId,
  className,
  joinCode,
}: {
  classId: string;
  className: string;
  joinCode: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const roster = useQuery(trpc.class.roster.queryOptions({ classId }));
  const [importing, setImporting] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [issued, setIssued] = useState<{ credential: ShownCredential; csv: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() });
  const remove = useMutation(
    trpc.class.removeStudent.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await refresh();
      },
    }),
  );
  const reset = useMutation(
    trpc.class.resetCredentials.mutationOptions({
      onSuccess: ({ csv, ...credential }) => {
        setPending(null);
        setIssued({ credential, csv });
      },
    }),
  );
  const busy = remove.isPending || reset.isPending;
  const actionError = remove.error ?? reset.error;

  return (
    <div className="space-y-4">
      {issued && (
        <CredentialsSheet
          className={className}
          credentials={[issued.credential]}
          csv={issued.csv}
          title={`New password for ${issued.credential.name}`}
          onDone={() => setIssued(null)}
        />
      )}
      {importing ? (
        <Card title="Import a roster">
          <RosterImport classId={classId} className={className} onClose={() => setImporting(false)} />
        </Card>
      ) : (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-600">
            {joinCode ? (
              <>
                Students with an account can also join with the code{" "}
                <span className="font-mono font-semibold text-slate-900" data-testid="roster-join-code">
                  {joinCode}
                </span>
                .
              </>
            ) : null}
          </p>
          <Button variant="primary" onClick={() => setImporting(true)} data-testid="roster-import-open">
            Import CSV
          </Button>
        </div>
      )}

      {roster.error ? (
        <ErrorNotice>{errorMessage(roster.error)}</ErrorNotice>
      ) : !roster.data ? (
        <Loading label="Loading the roster…" />
      ) : roster.data.length === 0 ? (
        !importing && (
          <p className="text-sm text-slate-600" data-testid="roster-empty">
            No students yet. Import a roster from a CSV file (accounts and passwords are made for them), or hand out the
            join code to students who already have an account.
          </p>
        )
      ) : (
        <DataTable
          frame={FRAME_CARD}
          testId="roster-table"
          headClassName={HEAD_SHADED}
          scoped
          thClassName="px-4 py-2.5 font-medium"
          head={[
            "Name",
            "Username",
            "Student id",
            "Joined",
            { key: "actions", label: <span className="sr-only">Actions</span> },
          ]}
        >
          {roster.data.map((s) => (
            <tr key={s.id} data-testid="roster-row" data-username={s.username ?? ""}>
              <td className="px-4 py-2.5">
                <div className="font-medium text-slate-900">{s.name}</div>
                {s.email && <div className="text-xs text-slate-500">{s.email}</div>}
              </td>
              <td className="px-4 py-2.5 font-mono text-xs text-slate-700">{s.username ?? "—"}</td>
              <td className="px-4 py-2.5 text-slate-600">{s.externalId ?? "—"}</td>
              <td className="px-4 py-2.5 text-slate-600">{formatDateTime(s.joinedAt)}</td>
              <td className="px-4 py-2.5 text-right whitespace-nowrap">
                <Button size="sm" variant="ghost" onClick={() => setPending({ kind: "reset", student: s })}>
                  Reset password
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setPending({ kind: "remove", student: s })}>
                  Remove
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}

      <ConfirmDialog
        open={pending !== null}
        title={pending?.kind === "reset" ? "Reset this student's password?" : "Remove this student from the class?"}
        confirmLabel={pending?.kind === "reset" ? "Reset password" : "Remove"}
        busy={busy}
        error={actionError ? errorMessage(actionError) : null}
        onConfirm={() => {
          if (!pending) return;
          const vars = { classId, studentId: pending.student.id };
          if (pending.kind === "reset") reset.mutate(vars);
          else remove.mutate(vars);
        }}
        onCancel={() => {
          setPending(null);
          remove.reset();
          reset.reset();
        }}
      >
        {pending?.kind === "reset"
          ? `${pending.student.name} gets a new password, shown once, and is signed out everywhere. The old password stops working.`
          : `${pending?.student.name ?? "The student"} leaves the class roster. Their account, runs and submissions are kept.`}
      </ConfirmDialog>
    </div>
  );
}
