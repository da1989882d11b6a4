import type { IncomingMessage, ServerResponse } from "node:http";
import { enrollRequestSchema } from "@labfleet/protocol";
import { sha256Hex } from "../crypto.ts";
import { AppError, isAppError } from "../errors.ts";
import type { EdgeCounters } from "../realtime/handle.ts";
import type { Db } from "../services/deps.ts";
import { enrollDevice } from "../services/device.ts";
import { readJson, sendError, sendJson } from "./json.ts";
import { isRateLimited, RateLimitedError, type RateLimits, sharedRateLimits, waitText } from "./rate-limit.ts";

/** POST /api/agent/enroll: a token for a device identity. */
export async function handleEnroll(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { db: Db; counters: EdgeCounters; limits?: RateLimits },
): Promise<void> {
  const limits = deps.limits ?? sharedRateLimits();
  const ip = limits.clientIp(req);
  // Tokens are secrets: the counters (in Redis when scaled out) are keyed by their hash.
  let tokenKey: string | null = null;
  try {
    const ipWait = await limits.blockedFor("enrollIp", ip);
    if (ipWait !== null) throw tooMany(ipWait);
    if (req.method !== "POST") throw new AppError("BAD_REQUEST", "Use POST.");
    const body = await readJson(req, 16 * 1024);
    const parsed = enrollRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError("BAD_REQUEST", `Invalid ${issue?.path.join(".") || "body"}: ${issue?.message ?? "not valid"}`);
    }
    tokenKey = sha256Hex(parsed.data.token);
    const tokenWait = await limits.blockedFor("enrollToken", tokenKey);
    if (tokenWait !== null) throw tooMany(tokenWait);
    sendJson(res, 200, await enrollDevice(deps.db, parsed.data));
  } catch (e) {
    if (!isAppError(e)) deps.db.log.error({ err: e }, "enrollment failed");
    // Refusals count towards the limits; a server fault or a refusal by the limit itself does not.
    if (isAppError(e) && !isRateLimited(e)) {
      await Promise.all([
        limits.fail("enrollIp", ip),
        tokenKey ? limits.fail("enrollToken", tokenKey) : undefined,
      ]).catch((err: unknown) => deps.db.log.error({ err }, "counting a refused enrollment failed"));
    }
    if (isRateLimited(e) && !res.headersSent) res.setHeader("retry-after", String(e.retryAfterSec));
    const error = sendError(res, e);
    deps.counters.count(error.code);
    deps.db.log.warn({ code: error.code, ip }, "enrollment refused");
  }
}

function tooMany(retryAfterSec: number): RateLimitedError {
  return new RateLimitedError(`Too many refused enrollments. Try again in ${waitText(retryAfterSec)}.`, retryAfterSec);
}
