"use client";

import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";

/** A secret the server shows once: copy it now, it cannot be read again. */
export function SecretBox({
  title,
  secret,
  children,
  onDismiss,
  testId,
}: {
  title: string;
  secret: string;
  children?: React.ReactNode;
  onDismiss: () => void;
  testId?: string;
}) {
  return (
    <div role="status" className="space-y-2 rounded-md bg-emerald-50 p-3 text-sm ring-1 ring-emerald-200">
      <div className="font-medium text-emerald-900">{title}</div>
      <p className="text-emerald-900">Copy it now: it is shown only this once.</p>
      <div className="flex flex-wrap items-center gap-2">
        <code
          className="rounded bg-white px-2 py-1 font-mono text-xs break-all ring-1 ring-emerald-200"
          data-testid={testId}
        >
          {secret}
        </code>
        <CopyButton text={secret} />
        <Button size="sm" variant="ghost" onClick={onDismiss}>
          Done
        </Button>
      </div>
      {children}
    </div>
  );
}
