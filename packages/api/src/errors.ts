import type { ErrorCode, WireError } from "@labfleet/protocol";

/**
 * The one error type of the domain. `message` is written for the person who will read it and is safe to
 * send to a client; anything internal goes in `cause`, which is logged and never sent.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The wire form of any thrown value: an AppError keeps its code and message; anything else is INTERNAL. */
export function toWireError(e: unknown): WireError {
  if (isAppError(e)) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: "Something went wrong on the server. It has been logged." };
}

/** HTTP status for each code, for the plain HTTP endpoints. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case "BAD_REQUEST":
    case "PROTOCOL_MISMATCH":
      return 400;
    case "UNAUTHORIZED":
    case "BAD_CREDENTIAL":
      return 401;
    case "FORBIDDEN":
    case "DEVICE_REVOKED":
    case "TOKEN_UNKNOWN":
    case "TOKEN_EXPIRED":
    case "TOKEN_REVOKED":
    case "TOKEN_USED_UP":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
    case "BUSY":
      return 409;
    case "RUNTIME_UNAVAILABLE":
      return 412;
    case "MODEL_INVALID":
      return 422;
    case "PAYLOAD_TOO_LARGE":
      return 413;
    case "RATE_LIMITED":
      return 429;
    case "INTERNAL":
      return 500;
  }
}
