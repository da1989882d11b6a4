import type { ExitCode } from "./exit-codes.ts";

/**
 * The agent's one error type. `message` is written for the person at the terminal (no stack is shown for
 * it); `code` is stable for tests and logs; `exitCode` is what the process ends with.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AgentError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return e instanceof AgentError;
}

/** `code` of a Node system error (ENOENT, ECONNREFUSED, ...), if it is one. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}
