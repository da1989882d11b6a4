import path from "node:path";
import { z } from "zod";

const flag = z
  .enum(["0", "1", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const positiveMs = z.coerce.number().int().min(250).max(3_600_000);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  LABFLEET_PUBLIC_URL: z.url().optional(),
  BETTER_AUTH_URL: z.url().optional(),
  BETTER_AUTH_SECRET: z.string().min(32, "BETTER_AUTH_SECRET must be at least 32 characters").optional(),
  LABFLEET_DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL")
    .optional(),
  /**
   * Several control-plane processes on one Redis (redis://[user:pass@]host:port/db or rediss://): socket.io across
   * processes, shared device presence, shared rate limits. Absent: one process, everything in memory.
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "REDIS_URL must be a redis:// or rediss:// URL")
    .optional(),
  /** Prefix of every scale-out key and channel in Redis, so that several fleets (or test runs) can share one. */
  LABFLEET_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "LABFLEET_REDIS_PREFIX: 1 to 40 letters, digits, - or _")
    .default("labfleet"),
  LABFLEET_ADMIN_EMAIL: z.email().optional(),
  LABFLEET_ADMIN_PASSWORD: z.string().min(8, "LABFLEET_ADMIN_PASSWORD must be at least 8 characters").optional(),
  LABFLEET_LOCAL_AGENT: flag.default(true),
  /** Behind a reverse proxy: believe its X-Forwarded-For/-Proto/-Host (client address for limits, HSTS). */
  LABFLEET_TRUST_PROXY: flag.default(false),
  LABFLEET_TELEMETRY_WATCHED_MS: positiveMs.default(1000),
  LABFLEET_TELEMETRY_IDLE_MS: positiveMs.default(10_000),
  LABFLEET_AGENT_BUFFER_MAX_MB: z.coerce.number().int().min(1).max(16_384).optional(),
  LABFLEET_AGENT_MAX_BATCH: z.coerce.number().int().min(1).max(500).default(100),
  /** Most ms between confirmations of agents' live samples; 0: every report waits for its own ack. */
  LABFLEET_TELEMETRY_CONFIRM_MS: z.coerce
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 10 && n <= 60_000), "LABFLEET_TELEMETRY_CONFIRM_MS: 0, or 10 to 60000")
    .default(5000),
  /** The largest model file an instructor may upload, MiB. */
  LABFLEET_MODEL_MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(1_048_576).default(16_384),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = ReturnType<typeof loadEnv>;

/** The only place that reads process.env. A bad value stops the start with a message naming the variable. */
export function loadEnv(source: NodeJS.ProcessEnv, repoRoot: string) {
  const empty = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const parsed = envSchema.safeParse(empty);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const publicUrl = (e.LABFLEET_PUBLIC_URL ?? e.BETTER_AUTH_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
  return Object.freeze({
    ...e,
    publicUrl,
    dataDir: path.resolve(repoRoot, e.LABFLEET_DATA_DIR ?? "data"),
  });
}
