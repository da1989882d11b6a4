"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import Link from "next/link";

type ClassRow = RouterOutputs["class"]["list"][number];

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function ClassList({ classes }: { classes: ClassRow[] }) {
  return (
    <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Classes">
      {classes.map((c) => (
        <li key={c.id}>
          <Link
            href={`/classes/${encodeURIComponent(c.id)}`}
            data-testid="class-card"
            data-class-id={c.id}
            className="block h-full rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200 hover:ring-sky-300"
          >
            <h2 className="font-medium text-slate-900">{c.name}</h2>
            <p className="text-sm text-slate-500">{c.term}</p>
            <p className="mt-2 text-sm text-slate-600">
              {plural(c.studentCount, "student")} · {plural(c.sessionCount, "session")} ·{" "}
              {plural(c.assignmentCount, "assignment")}
            </p>
            {c.joinCode && (
              <p className="mt-1 text-xs text-slate-500">
                Join code <span className="font-mono font-medium text-slate-700">{c.joinCode}</span>
              </p>
            )}
          </Link>
        </li>
      ))}
    </ul>
  );
}
