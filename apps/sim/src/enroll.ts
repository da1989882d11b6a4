import {
  ENROLL_PATH,
  type EnrollResponse,
  enrollResponseSchema,
  PROTOCOL_VERSION,
  wireErrorSchema,
} from "@labfleet/protocol";
import { z } from "zod";

export class EnrollError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The real enrollment endpoint, as the agent uses it. */
export async function enroll(
  url: string,
  token: string,
  hostname: string,
  agentVersion: string,
): Promise<EnrollResponse> {
  let res: Response;
  try {
    res = await fetch(`${url}${ENROLL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion }),
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new EnrollError("SERVER_UNREACHABLE", `Cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) {
    const ok = enrollResponseSchema.safeParse(body);
    if (ok.success) return ok.data;
    throw new EnrollError("BAD_ANSWER", `${url} answered with something that is not an enrollment answer.`);
  }
  const err = z.object({ error: wireErrorSchema }).safeParse(body);
  if (err.success)
    throw new EnrollError(
      err.data.error.code,
      `Enrollment refused (${err.data.error.code}): ${err.data.error.message}`,
    );
  throw new EnrollError("BAD_ANSWER", `${url} answered HTTP ${res.status}; is this a LabFleet server?`);
}
