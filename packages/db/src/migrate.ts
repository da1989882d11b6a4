/**
 * Applies the committed Prisma migrations at run time, without the Prisma CLI (which would need a download).
 * It keeps Prisma's own bookkeeping (`_prisma_migrations`, SHA-256 checksums, the same advisory lock as
 * `prisma migrate deploy`), so `prisma migrate status` and `migrate deploy` agree with what it did.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** The key `prisma migrate deploy` locks on, so the CLI and this code never migrate at the same time. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export interface MigrationFile {
  /** The folder name, e.g. `20261125160054_init`; migrations are applied in this (lexical) order. */
  name: string;
  sql: string;
  /** SHA-256 hex of the file's bytes, as Prisma computes it. */
  checksum: string;
}

export interface ApplyOptions {
  /** Defaults to findMigrationsDir(). */
  migrationsDir?: string;
}

export interface ApplyResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already recorded as applied. */
  alreadyApplied: string[];
  /** Migrations recorded in the database but missing from the folder (a newer version ran against it). */
  unknownInDatabase: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Finds `prisma/migrations` by walking up from `startDir` (default: this module's folder, then the working
 * directory). `LABFLEET_MIGRATIONS_DIR` wins when set. Works from the sources and from a bundle in apps/web/dist.
 */
export function findMigrationsDir(startDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LABFLEET_MIGRATIONS_DIR;
  if (fromEnv) {
    const dir = path.resolve(fromEnv);
    if (!isDir(dir)) throw new MigrationError(`LABFLEET_MIGRATIONS_DIR=${fromEnv} is not a folder`);
    return dir;
  }
  const starts = startDir ? [startDir] : [moduleDir(), process.cwd()].filter((d): d is string => Boolean(d));
  for (const start of starts) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "prisma", "migrations");
      if (isDir(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new MigrationError(
    `No prisma/migrations folder above ${starts.join(" or ")}. Set LABFLEET_MIGRATIONS_DIR to the migrations folder.`,
  );
}

function moduleDir(): string | undefined {
  // In a CommonJS bundle import.meta.url is undefined; the caller's cwd is then the fallback.
  const url = import.meta.url as string | undefined;
  return url?.startsWith("file:") ? path.dirname(fileURLToPath(url)) : undefined;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

export function checksumOf(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Every `<name>/migration.sql` in the folder, sorted by name as Prisma sorts them. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(migrationsDir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(migrationsDir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: checksumOf(bytes) };
    }),
  );
}

// The table exactly as Prisma creates it, so that the CLI accepts a database this code migrated first.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/**
 * Applies the pending migrations, each in its own transaction, under a session advisory lock: processes that
 * start together wait for each other and each migration runs once. Throws MigrationError when an applied
 * migration's file changed, or when a migration failed earlier and was never resolved.
 */
export async function applyMigrations(databaseUrl: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  const migrationsDir = options.migrationsDir ?? findMigrationsDir();
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      return await applyLocked(client, migrations);
    } finally {
      // Ending the session releases the lock anyway; don't let a failed unlock hide the real error.
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

async function applyLocked(client: pg.Client, migrations: MigrationFile[]): Promise<ApplyResult> {
  await client.query(CREATE_TABLE);
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
  const failed = rows.filter((r) => r.finished_at === null);
  if (failed.length > 0) {
    throw new MigrationError(
      `Migration ${failed.map((r) => r.migration_name).join(", ")} failed earlier and was not resolved ` +
        "(a row in _prisma_migrations without finished_at). Fix the database, then mark it rolled back or applied.",
    );
  }
  const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  const changed = migrations.filter((m) => applied.has(m.name) && applied.get(m.name) !== m.checksum);
  if (changed.length > 0) {
    throw new MigrationError(
      `Migration ${changed.map((m) => m.name).join(", ")} was changed after it was applied (checksum differs from ` +
        "_prisma_migrations). Applied migrations must never be edited: restore the file and add a new migration.",
    );
  }
  const result: ApplyResult = {
    applied: [],
    alreadyApplied: migrations.filter((m) => applied.has(m.name)).map((m) => m.name),
    unknownInDatabase: [...applied.keys()].filter((name) => !migrations.some((m) => m.name === name)),
  };
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    await applyOne(client, migration);
    result.applied.push(migration.name);
  }
  return result;
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  await client.query("BEGIN");
  try {
    const startedAt = (await client.query<{ now: Date }>("SELECT clock_timestamp() AS now")).rows[0]?.now;
    // One simple query with the whole file, as Prisma sends it: `$$` bodies and multi-statement files work.
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, startedAt],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${detail}`, { cause: error });
  }
}
