import { Writable } from "node:stream";
import { createLogger, type Logger } from "../logger.ts";

export interface CapturedLog {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory, for asserting on what the agent logged. */
export function captureLogger(level = "debug"): { log: Logger; lines: CapturedLog[]; text: () => string } {
  const lines: CapturedLog[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as CapturedLog);
      }
      cb();
    },
  });
  return { log: createLogger({ level, destination }), lines, text: () => raw.join("\n") };
}
