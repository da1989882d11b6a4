"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type ChangeEvent, useState } from "react";
import { inputErrorMessage } from "@/components/labs/input-error";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui/button";
import { inputClass } from "../ui/field";
import { ErrorNotice, InfoNotice } from "../ui/notice";
import { CredentialsSheet } from "./credentials-sheet";
import { PreviewTable, type RosterPreview } from "./preview-table";

/** The server refuses more; checked here first so that a big file gets a clear message, not a refused request. */
const MAX_CSV_BYTES = 1_000_000;
const EXAMPLE = "name,username,email,student id\nAda Lovelace,,,S-1001\nAlan Turing,aturing,alan@example.org,S-1002";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Roster import in three steps: paste or choose a CSV, check it (every bad row with its reasons, nothing written),
 * import it (all or nothing) and hand out the new passwords, once.
 */
export function RosterImport({
  classId,
  className,
  onClose,
}: {
  classId: string;
  className: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState("");
  const [fileError, setFileError] = useState<string | null>(null);
  const [checked, setChecked] = useState<{ csv: string; preview: RosterPreview } | null>(null);
  const preview = useMutation(
    trpc.class.importPreview.mutationOptions({ onSuccess: (p, vars) => setChecked({ csv: vars.csv, preview: p }) }),
  );
  const commit = useMutation(
    trpc.class.importCommit.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.class.pathKey() });
      },
    }),
  );

  async function chooseFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    if (file.size > MAX_CSV_BYTES) {
      setFileError(`${file.name} is larger than 1 MB: split it into smaller files.`);
      return;
    }
    setFileError(null);
    setCsv(await file.text());
    setChecked(null);
  }

  if (commit.data) {
    const r = commit.data;
    const summary = [
      r.created > 0 ? `${plural(r.created, "new account")} created` : null,
      r.added > 0 ? `${plural(r.added, "existing account")} added` : null,
      r.alreadyEnrolled > 0 ? `${plural(r.alreadyEnrolled, "student")} already on the roster` : null,
    ]
      .filter(Boolean)
      .join(", ");
    if (r.credentials.length === 0) {
      return (
        <InfoNotice>
          <span data-testid="roster-import-done">Imported: {summary}. No new passwords were needed.</span>{" "}
          <Button size="sm" className="ml-2" onClick={onClose}>
            Done
          </Button>
        </InfoNotice>
      );
    }
    return (
      <CredentialsSheet
        className={className}
        credentials={r.credentials}
        csv={r.csv}
        title={`Imported: ${summary}`}
        onDone={onClose}
      />
    );
  }

  const current = checked && checked.csv === csv ? checked.preview : null;
  const stale = checked !== null && checked.csv !== csv;
  const importable = current ? current.counts.create + current.counts.existing : 0;
  return (
    <div className="space-y-4" data-testid="roster-import">
      <div>
        <label htmlFor="roster-csv" className="mb-1 block text-sm font-medium text-slate-700">
          Paste the roster as CSV, or choose a file
        </label>
        <textarea
          id="roster-csv"
          className={`${inputClass} min-h-40 font-mono text-xs`}
          placeholder={EXAMPLE}
          value={csv}
          onChange={(e) => setCsv(e.target.value)}
          maxLength={MAX_CSV_BYTES}
          spellCheck={false}
          data-testid="roster-import-text"
          aria-describedby="roster-csv-hint"
        />
        <p id="roster-csv-hint" className="mt-1 text-xs text-slate-500">
          A header row, then one row per student. Columns: <b>name</b> (required), <b>username</b> (made from the name
          when empty), <b>email</b> and <b>student id</b> (optional). At most 2,000 rows. An existing student account
          named by its username joins the roster and keeps its password.
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <label className="inline-flex cursor-pointer items-center rounded-md bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
          Choose a file…
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            className="sr-only"
            onChange={chooseFile}
            data-testid="roster-import-file"
          />
        </label>
        <Button
          variant={current ? "secondary" : "primary"}
          disabled={csv.trim() === "" || preview.isPending}
          onClick={() => preview.mutate({ classId, csv })}
          data-testid="roster-preview-button"
        >
          {preview.isPending ? "Checking…" : current ? "Check again" : "Check the file"}
        </Button>
        <Button
          variant="primary"
          disabled={!current?.ok || importable === 0 || commit.isPending}
          onClick={() => commit.mutate({ classId, csv })}
          data-testid="roster-import-button"
        >
          {commit.isPending ? "Importing…" : `Import ${plural(importable, "student")}`}
        </Button>
        <Button variant="ghost" onClick={onClose} disabled={commit.isPending}>
          Cancel
        </Button>
      </div>
      {fileError && <ErrorNotice>{fileError}</ErrorNotice>}
      {preview.error && <ErrorNotice>{inputErrorMessage(preview.error)}</ErrorNotice>}
      {commit.error && <ErrorNotice testId="roster-import-error">{inputErrorMessage(commit.error)}</ErrorNotice>}
      {stale && <InfoNotice>The text changed since it was checked: check it again before importing.</InfoNotice>}
      {current && (
        <div className="space-y-3">
          {current.fileProblems.length > 0 && (
            <ErrorNotice testId="roster-file-problems">
              <ul className="list-disc pl-4">
                {current.fileProblems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </ErrorNotice>
          )}
          {current.warnings.map((w) => (
            <InfoNotice key={w}>{w}</InfoNotice>
          ))}
          {current.rows.length > 0 && (
            <>
              <p className="text-sm text-slate-700" data-testid="roster-preview-summary">
                {plural(current.counts.rows, "row")}: {current.counts.create} new, {current.counts.existing} existing,{" "}
                {current.counts.enrolled} already on the roster
                {current.counts.withProblems > 0 && (
                  <span className="font-medium text-red-700">
                    {" "}
                    · {plural(current.counts.withProblems, "row")} with problems: fix them in the file and check again
                    (nothing is imported until every row is fine)
                  </span>
                )}
              </p>
              <PreviewTable preview={current} />
            </>
          )}
        </div>
      )}
    </div>
  );
}
