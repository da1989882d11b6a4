import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines to stdout. The device secret can never reach a log line: it is redacted by path in case a
 * config object is ever logged whole.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: "labfleet-agent",
      level: options.level,
      redact: {
        paths: ["secret", "deviceSecret", "token", "*.secret", "*.deviceSecret", "*.token", "auth.secret"],
        censor: "[redacted]",
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
