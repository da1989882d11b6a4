import {
  ENROLL_PATH,
  type EnrollRequest,
  type EnrollResponse,
  type ErrorCode,
  enrollResponseSchema,
  wireErrorSchema,
} from "@labfleet/protocol";
import { z } from "zod";
import { AgentError, errnoCode } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";

/** The body of every HTTP error answer of the server. */
const errorBodySchema = z.object({ error: wireErrorSchema });

const TOKEN_REFUSALS: Partial<Record<ErrorCode, string>> = {
  TOKEN_UNKNOWN: "the token is unknown to the server",
  TOKEN_EXPIRED: "the token has expired",
  TOKEN_REVOKED: "the token was revoked",
  TOKEN_USED_UP: "the token has been used up",
};

/** Why fetch() failed, in words: it wraps the socket error (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function describeNetworkError(e: unknown): string {
  if (e instanceof Error && e.name === "TimeoutError") return "no answer in time";
  const cause = e instanceof Error ? e.cause : undefined;
  const code = errnoCode(cause) ?? errnoCode(e);
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (is the server running, and is the port right?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "ECONNRESET":
      return "the connection was reset";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "the connection timed out";
    default:
      return code ?? (cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e));
  }
}

/**
 * Exchanges an enrollment token for a device identity. Every answer is parsed; every failure becomes an
 * AgentError whose exit code says what kind of failure it was (3 token refused, 4 server, 6 protocol).
 */
export async function requestEnrollment(
  serverUrl: string,
  request: EnrollRequest,
  options: { timeoutMs: number },
): Promise<EnrollResponse> {
  const url = `${serverUrl}${ENROLL_PATH}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(request),
      // A redirect would turn the POST into a GET (or send the token somewhere unexpected): say where instead.
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (e) {
    throw new AgentError(
      "SERVER_UNREACHABLE",
      EXIT.SERVER_UNREACHABLE,
      `Cannot reach ${serverUrl}: ${describeNetworkError(e)}.`,
      {
        cause: e,
      },
    );
  }

  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get("location") ?? "somewhere else";
    throw new AgentError(
      "SERVER_REDIRECT",
      EXIT.SERVER_UNREACHABLE,
      `${serverUrl} redirects to ${to}. Enroll with the server's final URL (https, usually).`,
    );
  }

  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw badAnswer(serverUrl, res.status, "a body that is not JSON");
  }

  if (res.ok) {
    const parsed = enrollResponseSchema.safeParse(body);
    if (!parsed.success) throw badAnswer(serverUrl, res.status, "JSON that is not an enrollment answer");
    return parsed.data;
  }

  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) throw badAnswer(serverUrl, res.status, "an error that is not a LabFleet error");
  const { code, message } = parsed.data.error;
  const refusal = TOKEN_REFUSALS[code];
  if (refusal) {
    throw new AgentError(code, EXIT.ENROLL_REFUSED, `Enrollment refused: ${refusal} (${code}). ${message}`);
  }
  if (code === "PROTOCOL_MISMATCH") {
    throw new AgentError(code, EXIT.PROTOCOL_MISMATCH, `Enrollment refused: protocol version mismatch. ${message}`);
  }
  throw new AgentError(
    code,
    EXIT.SERVER_UNREACHABLE,
    `The server refused the enrollment (${code}, HTTP ${res.status}): ${message}`,
  );
}

function badAnswer(serverUrl: string, status: number, what: string): AgentError {
  return new AgentError(
    "BAD_ANSWER",
    EXIT.SERVER_UNREACHABLE,
    `${serverUrl} answered HTTP ${status} with ${what}. Is this the LabFleet server's URL?`,
  );
}
