import { isAbsolute } from "node:path";
import { z } from "zod";
import { AgentError } from "./errors.ts";
import { EXIT } from "./exit-codes.ts";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  /** Config file path; overrides the default search. */
  LABFLEET_AGENT_CONFIG: z.string().min(1).optional(),
  /** XDG base directory; the spec says to ignore it when empty or relative. */
  XDG_CONFIG_HOME: z
    .string()
    .optional()
    .transform((v) => (v && isAbsolute(v) ? v : undefined)),
  LABFLEET_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  /** Where the health file and the offline buffer live; default: beside the config file. */
  LABFLEET_AGENT_STATE_DIR: z.string().min(1).optional(),
});

export type AgentEnv = Readonly<z.infer<typeof envSchema>>;

/** The only place that reads `process.env`. A bad value fails here, at boot, with exit 2. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): AgentEnv {
  const parsed = envSchema.safeParse({
    LABFLEET_AGENT_CONFIG: source.LABFLEET_AGENT_CONFIG || undefined,
    XDG_CONFIG_HOME: source.XDG_CONFIG_HOME,
    LABFLEET_LOG_LEVEL: source.LABFLEET_LOG_LEVEL || undefined,
    LABFLEET_AGENT_STATE_DIR: source.LABFLEET_AGENT_STATE_DIR || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join(".") ?? "environment";
    throw new AgentError("BAD_ENV", EXIT.USAGE, `Environment variable ${name} is not valid: ${issue?.message ?? "?"}`);
  }
  return Object.freeze(parsed.data);
}
