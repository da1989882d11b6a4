import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const agentCli = path.join(repoRoot, "apps/agent/src/cli.ts");

export interface AgentExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real agent CLI (from source, through tsx) as a separate process. */
export function agentProcess(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<AgentExit>; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", agentCli, ...args], {
    cwd: repoRoot,
    env: { ...process.env, LABFLEET_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<AgentExit>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}
