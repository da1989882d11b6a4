"use client";

import { INSTALL_PATHS } from "@labfleet/protocol";
import { useSyncExternalStore } from "react";
import { CopyButton } from "./ui/copy-button";

const noSubscribe = () => () => {};

/** The address agents use to reach this server: the one the browser used, which is right on a classroom LAN. */
export function useServerOrigin(): string {
  return useSyncExternalStore(
    noSubscribe,
    () => window.location.origin,
    () => "http://<this-server>",
  );
}

export function enrollCommand(origin: string, token: string): string {
  return `labfleet-agent enroll --server ${origin} --token ${token}\nlabfleet-agent run`;
}

/** One pasted line installs the agent from this server, enrolls it and starts it as a service. */
export function installerCommand(origin: string, token: string): string {
  return `curl -fsSL ${origin}${INSTALL_PATHS.script} | sudo sh -s -- --token ${token}`;
}

/** The two commands to run on a mini PC that already has the agent, with a copy button. */
export function EnrollCommand({ token, testId }: { token: string; testId?: string }) {
  return <CommandBox command={enrollCommand(useServerOrigin(), token)} testId={testId} />;
}

/** The one-line installer for a fresh mini PC, with a copy button. */
export function InstallerCommand({ token, testId }: { token: string; testId?: string }) {
  return <CommandBox command={installerCommand(useServerOrigin(), token)} testId={testId} />;
}

function CommandBox({ command, testId }: { command: string; testId?: string | undefined }) {
  return (
    <div className="relative rounded-md bg-slate-900 p-3 pr-20 text-sm text-slate-100">
      <pre className="font-mono leading-6 whitespace-pre-wrap [overflow-wrap:anywhere]" data-testid={testId}>
        {command}
      </pre>
      <CopyButton text={command} label="Copy" className="absolute top-2 right-2" />
    </div>
  );
}
