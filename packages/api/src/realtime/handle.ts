import { type Ack, LIMITS, type WireError } from "@labfleet/protocol";
import type { z } from "zod";
import { isAppError, toWireError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { findUnstorableText } from "../security/text.ts";
import { eventBytes, mayHoldUnstorableText } from "./event-size.ts";

/** Counts every event refused at the edge, by code, so that bad input is visible, never silent. */
export class EdgeCounters {
  readonly rejected = new Map<string, number>();
  count(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }
  total(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The payload is not valid.";
  const path = issue.path.length > 0 ? issue.path.join(".") : "payload";
  return `Invalid ${path}: ${issue.message}`.slice(0, 300);
}

interface Listener {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * What the edge checks of every event before a handler sees it: the size as it arrived (see event-size.ts), the
 * schema, and text that PostgreSQL cannot store. Answers the parsed payload, or the coded error to send back.
 */
export function checkPayload<S extends z.ZodType>(
  payload: unknown,
  schema: S,
): { ok: true; data: z.infer<S> } | { ok: false; error: WireError } {
  if (eventBytes(payload) > LIMITS.maxEventBytes) {
    return {
      ok: false,
      error: { code: "PAYLOAD_TOO_LARGE", message: `Events are limited to ${LIMITS.maxEventBytes} bytes.` },
    };
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) return { ok: false, error: { code: "BAD_REQUEST", message: describeIssue(parsed.error) } };
  const unstorable = mayHoldUnstorableText(payload) ? findUnstorableText(parsed.data) : null;
  if (unstorable !== null) {
    return {
      ok: false,
      error: {
        code: "BAD_REQUEST",
        message: `Invalid ${unstorable.slice(0, 200)}: text may not contain NUL characters or broken Unicode.`,
      },
    };
  }
  return { ok: true, data: parsed.data };
}

/** A handler's failure as the coded error the sender gets; only an unexpected one is logged. */
export function handlerFailure(e: unknown, event: string, log: Logger): WireError {
  if (!isAppError(e)) log.error({ err: e, event }, "socket handler failed");
  return toWireError(e);
}

/**
 * Registers a request event: the payload is checked (checkPayload) before the handler sees it, and the sender
 * always gets a typed ack. A failure is counted and answered with a coded error; the socket stays up.
 */
export function handle<S extends z.ZodType, R>(
  socket: Listener,
  event: string,
  schema: S,
  handler: (payload: z.infer<S>) => Promise<R>,
  ctx: { log: Logger; counters: EdgeCounters },
): void {
  socket.on(event, (...args: unknown[]) => {
    const [payload, maybeAck] = args;
    const ack = typeof maybeAck === "function" ? (maybeAck as (res: Ack<R>) => void) : null;
    const reject = (error: WireError) => {
      ctx.counters.count(error.code);
      ack?.({ ok: false, error });
    };
    if (!ack || args.length > 2) {
      ctx.counters.count("BAD_REQUEST");
      ctx.log.warn({ event }, "event without an ack or with extra arguments refused");
      return;
    }
    const checked = checkPayload(payload, schema);
    if (!checked.ok) {
      reject(checked.error);
      return;
    }
    handler(checked.data).then(
      (data) => ack({ ok: true, data }),
      (e: unknown) => reject(handlerFailure(e, event, ctx.log)),
    );
  });
}

/** The Error a namespace middleware passes to `next()`: socket.io sends `message` and `data` to the client. */
export function refusal(e: unknown): Error & { data: WireError } {
  const wire = toWireError(e);
  const err = new Error(wire.code) as Error & { data: WireError };
  err.data = wire;
  return err;
}
