// A control plane in its own process, for the fault tests that kill it with SIGKILL: the same start-up as
// apps/web/server.ts (createControlPlane on one port, background jobs started) without Next and without
// migrations (the test applies those once). Reads FAULTS_DATABASE_URL, FAULTS_PORT, FAULTS_MODELS_DIR.
import { createPool, createPrismaClient } from "@labfleet/db";
import { createAuth } from "../auth.ts";
import { createControlPlane } from "../control-plane.ts";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";

const databaseUrl = process.env.FAULTS_DATABASE_URL;
const port = Number(process.env.FAULTS_PORT);
const modelsDir = process.env.FAULTS_MODELS_DIR;
if (!databaseUrl || !Number.isInteger(port) || port <= 0 || !modelsDir) {
  process.stderr.write("faults-server needs FAULTS_DATABASE_URL, FAULTS_PORT and FAULTS_MODELS_DIR\n");
  process.exit(2);
}

const log = createLogger({ level: process.env.LOG_LEVEL ?? "warn" });
const prisma = createPrismaClient(databaseUrl);
const pool = createPool(databaseUrl);
const db: Db = { prisma, pool, log };
const auth = createAuth({ prisma, secret: "faults-test-secret-0123456789abcdef", baseURL: `http://127.0.0.1:${port}` });
const plane = createControlPlane({ db, auth, modelsDir, intervals: { watchedMs: 1000, idleMs: 1000 } });

plane.httpServer.once("error", (err) => {
  process.stderr.write(`faults-server cannot listen: ${err.message}\n`);
  process.exit(1);
});
plane.httpServer.listen(port, "127.0.0.1", () => {
  plane.jobs.start();
  process.stdout.write(`listening ${port}\n`);
});
process.once("SIGTERM", () => {
  void plane.close().finally(() => process.exit(0));
});
