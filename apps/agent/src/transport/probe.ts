import { AGENT_NAMESPACE, type AgentHandshake } from "@labfleet/protocol";
import { io } from "socket.io-client";
import { z } from "zod";
import { type ConnectFailure, classifyConnectError } from "./connect-error.ts";

const healthSchema = z.object({ ok: z.literal(true) });

export type HealthProbe =
  | { ok: true; latencyMs: number; serverDate: number | null; skewMs: number | null }
  | { ok: false; reason: string };

/**
 * GET /api/health: is a LabFleet server answering at that URL? Also reads the server's `Date` header for the
 * clock skew. A `Date` has whole seconds, so the skew is measured against the middle of the round trip.
 */
export async function probeHealth(serverUrl: string, timeoutMs: number, now = Date.now): Promise<HealthProbe> {
  const started = now();
  let res: Response;
  try {
    res = await fetch(`${serverUrl}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
    const text =
      e instanceof Error ? (e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.message) : String(e);
    return { ok: false, reason: `${text}${cause}` };
  }
  const ended = now();
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok || !healthSchema.safeParse(body).success) {
    return { ok: false, reason: `answered HTTP ${res.status} with something that is not a LabFleet health answer` };
  }
  const date = Date.parse(res.headers.get("date") ?? "");
  const serverDate = Number.isNaN(date) ? null : date;
  // The header is truncated to the second: +500 ms centres it in that second.
  const skewMs = serverDate === null ? null : Math.round((started + ended) / 2 - (serverDate + 500));
  return { ok: true, latencyMs: ended - started, serverDate, skewMs };
}

export type HandshakeProbe = { ok: true } | { ok: false; failure: ConnectFailure };

/** A real handshake on /agent with this device's credential, then an immediate disconnect. */
export function probeHandshake(
  serverUrl: string,
  handshake: AgentHandshake,
  timeoutMs: number,
): Promise<HandshakeProbe> {
  return new Promise((resolve) => {
    const socket = io(`${serverUrl}${AGENT_NAMESPACE}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      auth: handshake,
    });
    const done = (r: HandshakeProbe) => {
      socket.removeAllListeners();
      socket.disconnect();
      resolve(r);
    };
    socket.once("connect", () => done({ ok: true }));
    socket.once("connect_error", (err: Error & { data?: unknown; description?: unknown }) =>
      done({ ok: false, failure: classifyConnectError(err) }),
    );
  });
}
