import type { IncomingMessage, ServerResponse } from "node:http";
import { enrollRequestSchema } from "@labfleet/protocol";
import { AppError, isAppError } from "../errors.ts";
import type { EdgeCounters } from "../realtime/handle.ts";
import type { Db } from "../services/deps.ts";
import { enrollDevice } from "../services/device.ts";
import { readJson, sendError, sendJson } from "./json.ts";

/** POST /api/agent/enroll: a token for a device identity. */
export async function handleEnroll(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { db: Db; counters: EdgeCounters },
): Promise<void> {
  try {
    if (req.method !== "POST") throw new AppError("BAD_REQUEST", "Use POST.");
    const body = await readJson(req, 16 * 1024);
    const parsed = enrollRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError("BAD_REQUEST", `Invalid ${issue?.path.join(".") || "body"}: ${issue?.message ?? "not valid"}`);
    }
    sendJson(res, 200, await enrollDevice(deps.db, parsed.data));
  } catch (e) {
    if (!isAppError(e)) deps.db.log.error({ err: e }, "enrollment failed");
    const error = sendError(res, e);
    deps.counters.count(error.code);
    deps.db.log.warn({ code: error.code }, "enrollment refused");
  }
}
