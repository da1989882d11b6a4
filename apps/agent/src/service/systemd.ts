import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { AgentError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";

/** sd_booted(3): systemd is PID 1 exactly when this directory exists. */
export function isSystemdRunning(): boolean {
  return existsSync("/run/systemd/system");
}

/** The name of PID 1, for the message that says why nothing was enabled. */
export function initName(): string {
  try {
    return readFileSync("/proc/1/comm", "utf8").trim() || "unknown";
  } catch {
    return "unknown";
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Runs systemctl; a failure becomes an AgentError that quotes systemctl's own message. */
export function systemctl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("systemctl", args, { timeout: 60_000 }, (e, _stdout, stderr) => {
      if (!e) return resolve();
      const why = String(stderr).trim().split("\n")[0] || e.message;
      reject(new AgentError("SYSTEMCTL_FAILED", EXIT.UNEXPECTED, `systemctl ${args.join(" ")} failed: ${why}`));
    });
  });
}
