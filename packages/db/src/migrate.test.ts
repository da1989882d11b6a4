import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { applyMigrations, findMigrationsDir, MigrationError, readMigrations } from "./migrate.ts";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";

const repoMigrations = findMigrationsDir();
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let tmp: string;
// Held for the whole file, so the embedded server (when this process starts one) is not restarted per test.
let keeper: TestDatabase;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-migrate-test-"));
  keeper = await createTestDatabase({ migrate: false });
});
after(async () => {
  await keeper.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the repo's migrations that a test may add to or tamper with. */
async function migrationsCopy(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(repoMigrations, dir, { recursive: true });
  return dir;
}

async function rows(db: TestDatabase) {
  const { rows } = await db.pool.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    applied_steps_count: number;
  }>(
    `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
  );
  return rows;
}

describe("findMigrationsDir", () => {
  test("finds prisma/migrations above this package", () => {
    assert.equal(repoMigrations, path.resolve(packageDir, "..", "..", "prisma", "migrations"));
    assert.equal(findMigrationsDir(path.join(packageDir, "src", "generated"), {}), repoMigrations);
  });
  test("LABFLEET_MIGRATIONS_DIR wins; a missing one is a clear error", () => {
    assert.equal(findMigrationsDir("/", { LABFLEET_MIGRATIONS_DIR: repoMigrations }), repoMigrations);
    assert.throws(() => findMigrationsDir("/", { LABFLEET_MIGRATIONS_DIR: "/nope" }), /LABFLEET_MIGRATIONS_DIR/);
    assert.throws(() => findMigrationsDir(os.tmpdir(), {}), /No prisma\/migrations folder/);
  });
});

describe("applyMigrations", () => {
  test("applies each migration once, records Prisma's rows, and is idempotent", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const files = await readMigrations(repoMigrations);
      assert.ok(files.length >= 1);
      const first = await applyMigrations(db.databaseUrl, { migrationsDir: repoMigrations });
      assert.deepEqual(
        first.applied,
        files.map((f) => f.name),
      );
      const second = await applyMigrations(db.databaseUrl, { migrationsDir: repoMigrations });
      assert.deepEqual(second.applied, []);
      assert.deepEqual(
        second.alreadyApplied,
        files.map((f) => f.name),
      );

      const recorded = await rows(db);
      assert.equal(recorded.length, files.length);
      for (const [i, file] of files.entries()) {
        const bytes = await readFile(path.join(repoMigrations, file.name, "migration.sql"));
        assert.equal(recorded[i]?.migration_name, file.name);
        assert.equal(recorded[i]?.checksum, createHash("sha256").update(bytes).digest("hex"));
        assert.ok(recorded[i]?.finished_at instanceof Date);
        assert.equal(recorded[i]?.applied_steps_count, 1);
      }
      const { rowCount } = await db.pool.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name = 'telemetry'`,
      );
      assert.equal(rowCount, 1);
    } finally {
      await db.close();
    }
  });

  test("concurrent appliers apply each migration exactly once", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const dir = await migrationsCopy("concurrent");
      // A slow second migration widens the window in which the appliers overlap.
      await mkdir(path.join(dir, "29990101000000_slow"));
      await writeFile(
        path.join(dir, "29990101000000_slow", "migration.sql"),
        "SELECT pg_sleep(0.3);\nCREATE TABLE slow_marker (id int);\n",
      );
      const results = await Promise.all(
        Array.from({ length: 6 }, () => applyMigrations(db.databaseUrl, { migrationsDir: dir })),
      );
      const appliedNames = results.flatMap((r) => r.applied).sort();
      const expected = (await readMigrations(dir)).map((m) => m.name).sort();
      assert.deepEqual(appliedNames, expected);
      assert.equal((await rows(db)).length, expected.length);
    } finally {
      await db.close();
    }
  });

  test("a migration changed after it was applied is refused with a clear error", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const dir = await migrationsCopy("changed");
      await applyMigrations(db.databaseUrl, { migrationsDir: dir });
      const [first] = await readMigrations(dir);
      assert.ok(first);
      await writeFile(path.join(dir, first.name, "migration.sql"), `${first.sql}\n-- edited\n`);
      await assert.rejects(applyMigrations(db.databaseUrl, { migrationsDir: dir }), (error: unknown) => {
        assert.ok(error instanceof MigrationError);
        assert.match(error.message, new RegExp(`${first.name} was changed after it was applied`));
        return true;
      });
    } finally {
      await db.close();
    }
  });

  test("dollar-quoted bodies run as one script; a failing migration rolls back and records nothing", async () => {
    const db = await createTestDatabase();
    try {
      const dir = await migrationsCopy("plpgsql");
      await mkdir(path.join(dir, "29990101000000_fn"));
      await writeFile(
        path.join(dir, "29990101000000_fn", "migration.sql"),
        "CREATE FUNCTION add_one(i int) RETURNS int AS $$\nBEGIN\n  RETURN i + 1; -- a ; inside\nEND;\n$$ LANGUAGE plpgsql;\n",
      );
      assert.deepEqual((await applyMigrations(db.databaseUrl, { migrationsDir: dir })).applied, ["29990101000000_fn"]);
      assert.equal((await db.pool.query<{ v: number }>("SELECT add_one(41) AS v")).rows[0]?.v, 42);

      await mkdir(path.join(dir, "29990102000000_broken"));
      await writeFile(
        path.join(dir, "29990102000000_broken", "migration.sql"),
        "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n",
      );
      await assert.rejects(
        applyMigrations(db.databaseUrl, { migrationsDir: dir }),
        /29990102000000_broken failed and was rolled back/,
      );
      const { rowCount } = await db.pool.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`,
      );
      assert.equal(rowCount, 0);
      assert.ok(!(await rows(db)).some((r) => r.migration_name === "29990102000000_broken"));
    } finally {
      await db.close();
    }
  });

  test("`prisma migrate status` agrees with a database this code migrated", async () => {
    const db = await createTestDatabase();
    try {
      const prismaCli = path.join(
        path.dirname(createRequire(import.meta.url).resolve("prisma/package.json")),
        "build",
        "index.js",
      );
      const status = spawnSync(process.execPath, [prismaCli, "migrate", "status"], {
        cwd: packageDir,
        env: { ...process.env, DATABASE_URL: db.databaseUrl },
        encoding: "utf8",
      });
      assert.equal(status.status, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /Database schema is up to date/);
    } finally {
      await db.close();
    }
  });

  test("createTestDatabase().close() drops its database", async () => {
    const db = await createTestDatabase({ migrate: false });
    const name = new URL(db.databaseUrl).pathname.slice(1);
    const exists = async () =>
      (await keeper.pool.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount;
    assert.equal(await exists(), 1);
    await db.close();
    assert.equal(await exists(), 0);
  });
});
