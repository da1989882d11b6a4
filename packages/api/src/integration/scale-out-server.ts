// One control-plane process of a scale-out test: createControlPlane on one port with Redis (the same start-up as
// apps/web/server.ts with REDIS_URL, without Next and migrations, which the test applies once), background jobs
// started, plus a probe job that appends this process's pid to a file on each run (how the test counts runs).
// Reads SCALE_DATABASE_URL, SCALE_REDIS_URL, SCALE_REDIS_PREFIX, SCALE_PORT, SCALE_MODELS_DIR, SCALE_PROBE_FILE.
import { appendFile } from "node:fs/promises";
import { createPool, createPrismaClient } from "@labfleet/db";
import { createAuth } from "../auth.ts";
import { createControlPlane } from "../control-plane.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";

const env = process.env;
const port = Number(env.SCALE_PORT);
const { SCALE_DATABASE_URL: databaseUrl, SCALE_REDIS_URL: redisUrl, SCALE_MODELS_DIR: modelsDir } = env;
const probeFile = env.SCALE_PROBE_FILE;
if (!databaseUrl || !redisUrl || !modelsDir || !probeFile || !Number.isInteger(port) || port <= 0) {
  process.stderr.write("scale-out-server needs SCALE_DATABASE_URL, SCALE_REDIS_URL, SCALE_PORT, SCALE_MODELS_DIR, ");
  process.stderr.write("SCALE_PROBE_FILE\n");
  process.exit(2);
}

const log = createLogger({ level: env.LOG_LEVEL ?? "warn" });
const prisma = createPrismaClient(databaseUrl);
const pool = createPool(databaseUrl);
const db: Db = { prisma, pool, log };
const auth = createAuth({
  prisma,
  secret: "scale-out-test-secret-0123456789abcdef",
  baseURL: `http://127.0.0.1:${port}`,
});
const plane = createControlPlane({
  db,
  auth,
  modelsDir,
  // Idle devices report rarely: a sample a second on another process's dashboard proves its watch crossed over.
  intervals: { watchedMs: 500, idleMs: 60_000 },
  redis: { url: redisUrl, prefix: env.SCALE_REDIS_PREFIX ?? "labfleet", refreshMs: 1_000 },
});
plane.jobs.add({
  name: "scale-out-probe",
  everyMs: 500,
  async run() {
    await appendFile(probeFile, `${process.pid}\n`);
  },
});

plane.httpServer.once("error", (err) => {
  process.stderr.write(`scale-out-server cannot listen: ${err.message}\n`);
  process.exit(1);
});
plane.httpServer.listen(port, "127.0.0.1", () => {
  plane.jobs.start();
  process.stdout.write(`listening ${port}\n`);
});
process.once("SIGTERM", () => {
  void plane.close().finally(() => process.exit(0));
});
