import pino, { type Logger } from "pino";

export type { Logger };

/** JSON lines to stdout. Secrets that could ever reach a log line are redacted by path. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? "labfleet",
    level: options.level ?? "info",
    redact: {
      paths: ["secret", "token", "deviceSecret", "*.secret", "*.token", "*.deviceSecret", "req.headers.cookie"],
      censor: "[redacted]",
    },
  });
}
