"use client";

import { EnrollCommand, InstallerCommand } from "@/components/enroll-command";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { formatDateTime } from "@/lib/format";
import type { CreatedToken } from "./token-form";

/** The secret, once. It is not stored in a readable form, so closing this box is final. */
export function NewTokenBox({ created, onDismiss }: { created: CreatedToken; onDismiss: () => void }) {
  return (
    <section
      aria-labelledby="new-token-title"
      className="rounded-lg bg-emerald-50 p-5 ring-1 ring-emerald-200"
      data-testid="new-token"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="new-token-title" className="font-semibold text-emerald-900">
            Token “{created.label}” created
          </h2>
          <p className="mt-0.5 text-sm text-emerald-900/80">
            Copy it now: it is shown only once. It expires {formatDateTime(created.expiresAt)}.
          </p>
        </div>
        <Button size="sm" onClick={onDismiss}>
          Done
        </Button>
      </div>
      <div className="mt-4 flex items-center gap-2 rounded-md bg-white px-3 py-2 ring-1 ring-emerald-200">
        <code className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900" data-testid="new-token-value">
          {created.token}
        </code>
        <CopyButton text={created.token} label="Copy token" />
      </div>
      <p className="mt-4 mb-2 text-sm font-medium text-emerald-900">
        On each mini PC (Linux with Node.js 20 or newer), install, enroll and start the agent with one line:
      </p>
      <InstallerCommand token={created.token} testId="new-token-installer" />
      <p className="mt-4 mb-2 text-sm font-medium text-emerald-900">Or, where the agent is already installed, run:</p>
      <EnrollCommand token={created.token} testId="new-token-command" />
    </section>
  );
}
