"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { Badge, type Tone } from "../ui/badge";
import { DataTable, HEAD_SHADED } from "../ui/data-table";

export type RosterPreview = RouterOutputs["class"]["importPreview"];
type PreviewRow = RosterPreview["rows"][number];

const ACTION: Record<NonNullable<PreviewRow["action"]>, { label: string; tone: Tone }> = {
  create: { label: "New account", tone: "green" },
  existing: { label: "Existing account", tone: "sky" },
  enrolled: { label: "Already on roster", tone: "neutral" },
};

/** Every row of the file with what the import will do, or why it cannot. */
export function PreviewTable({ preview }: { preview: RosterPreview }) {
  return (
    <div className="max-h-[28rem] overflow-auto rounded-md ring-1 ring-slate-200">
      <DataTable
        testId="roster-preview-table"
        headClassName={`sticky top-0 ${HEAD_SHADED}`}
        bodyClassName="divide-y divide-slate-100 bg-white"
        scoped
        thClassName="px-3 py-2 font-medium"
        head={["Row", "Name", "Username", "E-mail", "Student id", "Result"]}
      >
        {preview.rows.map((r) => {
          const bad = r.problems.length > 0;
          const action = r.action ? ACTION[r.action] : null;
          return (
            <tr
              key={r.row}
              className={bad ? "bg-red-50/60" : undefined}
              data-testid="roster-preview-row"
              data-row={r.row}
              data-ok={bad ? "false" : "true"}
              aria-invalid={bad || undefined}
            >
              <td className="px-3 py-2 text-slate-500 tabular-nums">{r.row}</td>
              <td className="px-3 py-2 text-slate-900">{r.name || <span className="text-slate-400">(none)</span>}</td>
              <td className="px-3 py-2 font-mono text-xs">
                {r.username ?? "—"}
                {r.usernameGenerated && <span className="ml-1 font-sans text-slate-400">(made from the name)</span>}
              </td>
              <td className="px-3 py-2 text-slate-600">{r.email ?? "—"}</td>
              <td className="px-3 py-2 text-slate-600">{r.studentId ?? "—"}</td>
              <td className="px-3 py-2">
                {bad ? <Badge tone="red">Problem</Badge> : action && <Badge tone={action.tone}>{action.label}</Badge>}
                {(r.problems.length > 0 || r.warnings.length > 0) && (
                  <ul className="mt-1 space-y-0.5 text-xs" data-testid="roster-preview-reasons">
                    {r.problems.map((p) => (
                      <li key={p} className="text-red-700">
                        {p}
                      </li>
                    ))}
                    {r.warnings.map((w) => (
                      <li key={w} className="text-amber-800">
                        {w}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </div>
  );
}
