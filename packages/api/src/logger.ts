import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Field names that hold a secret wherever they appear in a log line (at the top or up to two levels down). */
const SECRET_FIELDS = [
  "password",
  "newPassword",
  "currentPassword",
  "secret",
  "secretHash",
  "deviceSecret",
  "token",
  "accessToken",
  "refreshToken",
  "sessionToken",
  "apiKey",
  "authorization",
  "cookie",
];

/** Request and response headers that carry credentials, under `headers`, `req.headers` or `res.headers`. */
const SECRET_HEADERS = ["authorization", "cookie", '["set-cookie"]', '["x-api-key"]'];

const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => {
    const key = h.startsWith("[") ? h : `.${h}`;
    return [`headers${key}`, `*.headers${key}`, `*.*.headers${key}`];
  }),
];

/**
 * JSON lines to stdout (or `destination`). Secrets that could ever reach a log line are redacted by path:
 * passwords, tokens, device secrets, and the Authorization, Cookie and Set-Cookie headers of a logged request.
 */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? "labfleet",
      level: options.level ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    options.destination,
  );
}
