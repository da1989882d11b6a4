import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  catalogEntries,
  createAuth,
  createControlPlane,
  createLogger,
  type Db,
  RateLimits,
  rateLimitStore,
  syncCatalog,
} from "@labfleet/api";
import { applyMigrations, createPool, createPrismaClient, startEmbeddedPostgres } from "@labfleet/db";
import next from "next";
import { createClient } from "redis";
import { loadEnv } from "./src/server/env.ts";
import { ensureFirstAdmin } from "./src/server/first-admin.ts";
import { type LocalAgent, startLocalAgent } from "./src/server/local-agent.ts";
import { findRepoRoot } from "./src/server/repo.ts";
import { loadOrCreateSecret } from "./src/server/secret.ts";

/** The control plane: database, migrations, auth, API, socket.io and the pages, on one port. */
async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const repoRoot = findRepoRoot(here);
  const env = loadEnv(process.env, repoRoot);
  const log = createLogger({ level: env.LOG_LEVEL });
  const cleanups: Array<() => Promise<unknown>> = [];
  let shuttingDown = false;

  async function shutdown(signal: string, code = 0): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => log.error({ err }, "cleanup failed"));
    }
    process.exit(code);
  }
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    await mkdir(env.dataDir, { recursive: true, mode: 0o700 });
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(env.dataDir, "postgres") });
      cleanups.push(() => pg.stop());
      databaseUrl = pg.databaseUrl;
      log.info({ port: pg.port }, "embedded PostgreSQL started");
    }
    const applied = await applyMigrations(databaseUrl, { migrationsDir: path.join(repoRoot, "prisma", "migrations") });
    log.info({ applied }, "migrations up to date");

    const prisma = createPrismaClient(databaseUrl);
    const pool = createPool(databaseUrl);
    cleanups.push(() => pool.end());
    cleanups.push(() => prisma.$disconnect());
    const db: Db = { prisma, pool, log };

    // Sign-in, enrollment and upload limits. With REDIS_URL every process counts together in Redis; the client
    // fails fast while Redis is away (no offline queue), and the limiter falls back to memory meanwhile.
    let limitsRedis: ReturnType<typeof createClient> | null = null;
    if (env.REDIS_URL) {
      const client = createClient({ url: env.REDIS_URL, disableOfflineQueue: true });
      // The scale-out layer logs an outage once; this client's reconnect attempts must not flood the log.
      client.on("error", () => undefined);
      client.connect().catch(() => undefined);
      cleanups.push(() => client.quit());
      limitsRedis = client;
    }
    const limits = new RateLimits({
      store: rateLimitStore(limitsRedis ? { redis: limitsRedis } : {}),
      trustProxy: env.LABFLEET_TRUST_PROXY,
    });
    const trustedOrigins = [env.publicUrl, `http://127.0.0.1:${env.PORT}`, `http://localhost:${env.PORT}`];
    const auth = createAuth({
      prisma,
      secret: await loadOrCreateSecret(env.dataDir, env.BETTER_AUTH_SECRET),
      baseURL: env.publicUrl,
      trustedOrigins,
      limits,
    });
    const admin = await ensureFirstAdmin(db, auth, {
      dataDir: env.dataDir,
      email: env.LABFLEET_ADMIN_EMAIL,
      password: env.LABFLEET_ADMIN_PASSWORD,
    });

    const webDir = path.join(repoRoot, "apps", "web");
    const app = next({ dev: false, dir: webDir });
    await app.prepare();
    const handle = app.getRequestHandler();

    const plane = createControlPlane({
      db,
      auth,
      modelsDir: path.join(env.dataDir, "models"),
      maxUploadBytes: env.LABFLEET_MODEL_MAX_UPLOAD_MB * 1024 * 1024,
      intervals: {
        watchedMs: env.LABFLEET_TELEMETRY_WATCHED_MS,
        idleMs: env.LABFLEET_TELEMETRY_IDLE_MS,
        maxBatch: env.LABFLEET_AGENT_MAX_BATCH,
        pushConfirmMs: env.LABFLEET_TELEMETRY_CONFIRM_MS,
        ...(env.LABFLEET_AGENT_BUFFER_MAX_MB ? { bufferMaxBytes: env.LABFLEET_AGENT_BUFFER_MAX_MB * 1024 * 1024 } : {}),
      },
      pages: (req, res) => handle(req, res),
      limits,
      trustedOrigins,
      ...(env.REDIS_URL ? { redis: { url: env.REDIS_URL, prefix: env.LABFLEET_REDIS_PREFIX } } : {}),
      // The one-line installer. Without a configured public URL it names the address each request came in on,
      // which is right on a classroom LAN where "localhost" would not be.
      install: {
        agentPackDir: path.join(repoRoot, "apps", "agent", "dist", "pack"),
        publicUrl: env.LABFLEET_PUBLIC_URL ?? env.BETTER_AUTH_URL,
      },
    });
    cleanups.push(() => plane.close());

    // The model catalog (bundled npm models and generated ones) into the blob store and the database, before
    // any device can ask for a file. Quick after the first start: unchanged files are neither hashed nor loaded.
    // Nothing is being uploaded yet, so leftovers in incoming/ are from a crash and go.
    const syncStarted = Date.now();
    await plane.blobs.clearIncoming();
    const entries = await catalogEntries({ workDir: path.join(env.dataDir, "models", "generated") });
    const synced = await syncCatalog(db, plane.blobs, entries, log);
    log.info({ ...synced, entries: entries.length, tookMs: Date.now() - syncStarted }, "model catalog synced");

    await new Promise<void>((resolve, reject) => {
      plane.httpServer.once("error", reject);
      plane.httpServer.listen(env.PORT, env.HOST, () => resolve());
    });
    plane.jobs.start();
    const address = plane.httpServer.address();
    const port = typeof address === "object" && address ? address.port : env.PORT;

    let agent: LocalAgent | null = null;
    if (env.LABFLEET_LOCAL_AGENT) {
      try {
        agent = await startLocalAgent({
          db,
          agentCli: path.join(repoRoot, "apps", "agent", "dist", "cli.js"),
          serverUrl: `http://127.0.0.1:${port}`,
          dataDir: env.dataDir,
        });
        const running = agent;
        cleanups.push(() => running.stop());
      } catch (err) {
        log.error({ err }, "the agent for this machine did not start; the control plane runs without it");
      }
    }

    const lines = [
      "",
      `  LabFleet is running at ${env.publicUrl}`,
      admin.password
        ? `  First admin: ${admin.email}  password: ${admin.password}  (also in ${path.join(env.dataDir, "initial-admin.txt")})`
        : `  Sign in as ${admin.email}${admin.created ? " with LABFLEET_ADMIN_PASSWORD" : ""}`,
      agent
        ? `  This machine's agent is enrolled and reporting (log: ${agent.logPath})`
        : "  No local agent (LABFLEET_LOCAL_AGENT=0)",
      `  Data folder: ${env.dataDir}${env.DATABASE_URL ? " (database: DATABASE_URL)" : " (embedded PostgreSQL inside)"}`,
      ...(env.REDIS_URL ? ["  Scale-out: on (REDIS_URL); background jobs run in one process of the fleet"] : []),
      "  Press Ctrl-C to stop.",
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    log.info({ port, publicUrl: env.publicUrl }, "control plane listening");
  } catch (err) {
    log.fatal({ err }, "start failed");
    process.stderr.write(`\nLabFleet could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    await shutdown("startup-failure", 1);
  }
}

void main();
