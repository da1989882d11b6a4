"use client";

import { useEffect, useState } from "react";
import { downloadText } from "@/lib/download";
import { Button } from "../ui/button";
import { DataTable, HEAD_SHADED } from "../ui/data-table";

export interface ShownCredential {
  userId: string;
  name: string;
  username: string;
  password: string;
}

// While the sheet is on screen, printing shows only it: the rest of the page (navigation, tables) is hidden for
// print, so "Print" gives one slip per student to cut out and hand over.
const PRINT_CSS = `
@media print {
  html, body { background: white !important; }
  body * { visibility: hidden !important; }
  [data-print-area], [data-print-area] * { visibility: visible !important; }
  [data-print-area] {
    position: absolute; inset: 0 auto auto 0; width: 100%; padding: 0;
    background: white !important; box-shadow: none !important; border-radius: 0;
  }
  [data-print-hide] { display: none !important; }
}
@media screen { [data-print-only] { display: none; } }
`;

function fileSafe(name: string): string {
  return name.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "") || "class";
}

/**
 * New sign-in credentials, shown once: the passwords are not stored in a readable form, so once this is closed only a
 * reset makes new ones.
 */
export function CredentialsSheet({
  className,
  credentials,
  csv,
  title,
  onDone,
}: {
  className: string;
  credentials: ShownCredential[];
  csv: string;
  title: string;
  onDone: () => void;
}) {
  const [loginUrl, setLoginUrl] = useState("/login");
  useEffect(() => setLoginUrl(`${window.location.origin}/login`), []);
  // Leaving the page loses the passwords for good: the browser asks first.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);
  return (
    <section
      className="rounded-lg bg-emerald-50 p-5 ring-1 ring-emerald-200"
      aria-labelledby="credentials-title"
      data-testid="credentials-sheet"
      data-print-area
    >
      <style>{PRINT_CSS}</style>
      <div className="flex flex-wrap items-start justify-between gap-3" data-print-hide>
        <div>
          <h2 id="credentials-title" className="font-semibold text-emerald-900">
            {title}
          </h2>
          <p className="mt-0.5 text-sm text-emerald-900/80" data-testid="credentials-once-notice">
            Print or download them now: these passwords are shown only once and will not be shown again. A forgotten
            password can be reset from the roster.
          </p>
        </div>
        <div className="flex gap-2">
          <Button size="sm" onClick={() => window.print()} data-testid="credentials-print">
            Print
          </Button>
          <Button
            size="sm"
            onClick={() => downloadText(`${fileSafe(className)}-credentials.csv`, csv, "text/csv;charset=utf-8")}
            data-testid="credentials-download"
          >
            Download CSV
          </Button>
          <Button size="sm" variant="primary" onClick={onDone} data-testid="credentials-done">
            Done
          </Button>
        </div>
      </div>
      <div className="mt-4 overflow-x-auto rounded-md bg-white ring-1 ring-emerald-200" data-print-hide>
        <DataTable
          testId="credentials-table"
          headClassName={HEAD_SHADED}
          scoped
          thClassName="px-3 py-2 font-medium"
          head={["Name", "Username", "Password"]}
        >
          {credentials.map((c) => (
            <tr key={c.userId} data-testid="credential-row">
              <td className="px-3 py-2 text-slate-900">{c.name}</td>
              <td className="px-3 py-2 font-mono" data-testid="credential-username">
                {c.username}
              </td>
              <td className="px-3 py-2 font-mono tracking-wider" data-testid="credential-password">
                {c.password}
              </td>
            </tr>
          ))}
        </DataTable>
      </div>
      <div data-print-only className="grid grid-cols-2 gap-3">
        {credentials.map((c) => (
          <div
            key={c.userId}
            className="break-inside-avoid border border-dashed border-slate-400 p-3 text-sm text-black"
          >
            <div className="text-xs">{className}</div>
            <div className="mt-1 font-semibold">{c.name}</div>
            <div className="mt-2">
              Username: <span className="font-mono">{c.username}</span>
            </div>
            <div>
              Password: <span className="font-mono tracking-wider">{c.password}</span>
            </div>
            <div className="mt-2 text-xs">Sign in at {loginUrl}</div>
          </div>
        ))}
      </div>
    </section>
  );
}
