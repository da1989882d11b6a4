import { z } from "zod";

/** Every error code that crosses the wire. Clients switch on the code, never on the message. */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "PROTOCOL_MISMATCH",
  "DEVICE_REVOKED",
  "BAD_CREDENTIAL",
  "TOKEN_UNKNOWN",
  "TOKEN_EXPIRED",
  "TOKEN_REVOKED",
  "TOKEN_USED_UP",
  /** A device is already running something; try again when it is free. */
  "BUSY",
  /** The device lacks the runtime (or execution provider) a model needs. */
  "RUNTIME_UNAVAILABLE",
  /** An uploaded or downloaded model file is not a valid model (it does not load or parse). */
  "MODEL_INVALID",
  "INTERNAL",
] as const;

export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/** The error half of every ack and of every HTTP error body. `message` is safe to show a person. */
export const wireErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string().max(500),
});
export type WireError = z.infer<typeof wireErrorSchema>;

/** The answer to every request event: a union, never a thrown error. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

export function ackSchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: wireErrorSchema }),
  ]);
}
