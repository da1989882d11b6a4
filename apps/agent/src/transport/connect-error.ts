import { wireErrorSchema } from "@labfleet/protocol";
import { EXIT, type ExitCode } from "../exit-codes.ts";

export interface ConnectFailure {
  /** The server's error code, or UNREACHABLE when no server answered. */
  code: string;
  message: string;
  /** Set when retrying cannot help: the process ends with this code. */
  fatalExitCode: ExitCode | null;
}

/** The socket error under engine.io's TransportError ("websocket error" says little on its own). */
function transportDetail(err: Error & { description?: unknown }): string | null {
  const d = err.description;
  if (d instanceof Error) return d.message;
  if (typeof d === "object" && d !== null) {
    // ws hands an ErrorEvent-like object with the socket error inside.
    const inner = (d as { error?: unknown; message?: unknown }).error ?? (d as { message?: unknown }).message;
    if (inner instanceof Error) return inner.message;
    if (typeof inner === "string") return inner;
  }
  return typeof d === "string" ? d : null;
}

/**
 * Classifies a socket.io `connect_error`. A refusal by the server's middleware carries `data: { code,
 * message }`; credential and protocol refusals are final, everything else (server down, restarting,
 * overloaded) is worth retrying.
 */
export function classifyConnectError(err: Error & { data?: unknown; description?: unknown }): ConnectFailure {
  const wire = wireErrorSchema.safeParse(err.data);
  if (wire.success) {
    const { code, message } = wire.data;
    const fatalExitCode =
      code === "BAD_CREDENTIAL" || code === "DEVICE_REVOKED"
        ? EXIT.CREDENTIAL_REFUSED
        : code === "PROTOCOL_MISMATCH"
          ? EXIT.PROTOCOL_MISMATCH
          : null;
    return { code, message, fatalExitCode };
  }
  const detail = transportDetail(err);
  return { code: "UNREACHABLE", message: detail ? `${err.message}: ${detail}` : err.message, fatalExitCode: null };
}
