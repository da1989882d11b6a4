/**
 * Real PostgreSQL for integration tests across the repo (no mocks). The test orchestrator starts ONE throw-away
 * server with startTestPostgres() and passes its URL as LABFLEET_TEST_PG_URL; every test then gets its own fresh,
 * migrated database from createTestDatabase(). Without that variable a test starts an embedded server itself.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createPool, createPrismaClient, type PrismaClient } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { applyMigrations, findMigrationsDir } from "./migrate.ts";

export interface TestPostgres {
  /** Admin URL (database `postgres`): what LABFLEET_TEST_PG_URL should hold. */
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Stops the server and deletes its data folder. */
  stop(): Promise<void>;
}

/** A throw-away embedded server with its data in os.tmpdir() (fsync off), removed on stop(). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "labfleet-test-pg-"));
  try {
    const server = await startEmbeddedPostgres({ dataDir, ephemeral: true, database: "postgres" });
    return {
      url: server.urlFor("postgres"),
      port: server.port,
      pid: server.pid,
      dataDir,
      async stop() {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface TestDatabase {
  databaseUrl: string;
  prisma: PrismaClient;
  pool: pg.Pool;
  /** Disconnects, drops the database, and stops the embedded server if this process started one for it. */
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the repo's migrations (default true). */
  migrate?: boolean;
  migrationsDir?: string;
  /** The server's admin URL (database `postgres`); default LABFLEET_TEST_PG_URL, else an embedded server. */
  serverUrl?: string;
}

// One embedded server per process when LABFLEET_TEST_PG_URL is unset, shared by its open test databases.
let shared: { server: Promise<TestPostgres>; users: number } | undefined;

async function acquireServer(serverUrl?: string): Promise<{ url: string; release(): Promise<void> }> {
  const fromEnv = serverUrl ?? process.env.LABFLEET_TEST_PG_URL;
  if (fromEnv) return { url: fromEnv, release: async () => {} };
  shared ??= { server: startTestPostgres(), users: 0 };
  const entry = shared;
  entry.users++;
  let server: TestPostgres;
  try {
    server = await entry.server;
  } catch (error) {
    if (shared === entry) shared = undefined;
    throw error;
  }
  return {
    url: server.url,
    async release() {
      if (--entry.users > 0) return;
      if (shared === entry) shared = undefined;
      await server.stop();
    },
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database with the migrations applied, plus a Prisma client and a pg pool on it. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = await acquireServer(options.serverUrl);
  const name = `labfleet_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const databaseUrl = withDatabase(server.url, name);
  try {
    await admin(server.url, `CREATE DATABASE "${name}"`);
    if (options.migrate ?? true) {
      await applyMigrations(databaseUrl, { migrationsDir: options.migrationsDir ?? findMigrationsDir() });
    }
  } catch (error) {
    await admin(server.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await server.release();
    throw error;
  }
  // Small pools: many test files share one server (max_connections 300 on the embedded one, 100 by default).
  const prisma = createPrismaClient(databaseUrl, { max: 3 });
  const pool = createPool(databaseUrl, { max: 3 });
  let closing: Promise<void> | undefined;
  return {
    databaseUrl,
    prisma,
    pool,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([prisma.$disconnect(), pool.end()]);
        try {
          await admin(server.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await server.release();
        }
      })();
      return closing;
    },
  };
}
