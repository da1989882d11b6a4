/**
 * Checks that prisma/migrations produce exactly prisma/schema.prisma (someone edited the schema without making a
 * migration, or edited a migration by hand). Runs `prisma migrate diff --from-migrations ... --to-schema-datamodel
 * ... --exit-code` through prisma.config.ts; replaying the migrations needs a shadow database, which the CLI
 * adapter creates on the test server (LABFLEET_TEST_PG_URL, or a throw-away embedded one).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findMigrationsDir } from "./migrate.ts";
import { startTestPostgres } from "./test-db.ts";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface DriftCheckOptions {
  /** Default: prisma/schema.prisma of the repo. */
  schemaPath?: string;
  /** Default: findMigrationsDir(). */
  migrationsDir?: string;
  /** A server the shadow database can be created on. Default LABFLEET_TEST_PG_URL, else a temporary embedded one. */
  serverUrl?: string;
}

export interface DriftCheckResult {
  ok: boolean;
  /** When not ok: the SQL that would bring the migrations to the schema. */
  script: string;
}

export async function checkMigrationsMatchSchema(options: DriftCheckOptions = {}): Promise<DriftCheckResult> {
  const migrationsDir = options.migrationsDir ?? findMigrationsDir();
  const schemaPath = options.schemaPath ?? path.join(path.dirname(migrationsDir), "schema.prisma");
  const serverUrl = options.serverUrl ?? process.env.LABFLEET_TEST_PG_URL;
  if (serverUrl) return runDiff(schemaPath, migrationsDir, serverUrl);
  const server = await startTestPostgres();
  try {
    return await runDiff(schemaPath, migrationsDir, server.url);
  } finally {
    await server.stop();
  }
}

async function runDiff(schemaPath: string, migrationsDir: string, serverUrl: string): Promise<DriftCheckResult> {
  const prismaCli = path.join(
    path.dirname(createRequire(import.meta.url).resolve("prisma/package.json")),
    "build",
    "index.js",
  );
  const args = [prismaCli, "migrate", "diff", "--config", path.join(packageDir, "prisma.config.ts")];
  args.push("--from-migrations", path.resolve(migrationsDir), "--to-schema-datamodel", path.resolve(schemaPath));
  args.push("--script", "--exit-code");
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: packageDir,
        env: { ...process.env, DATABASE_URL: serverUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d));
      child.stderr.on("data", (d: Buffer) => (err += d));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  // --exit-code: 0 no difference, 2 difference, anything else an error.
  if (code === 0) return { ok: true, script: "" };
  if (code === 2) return { ok: false, script: stdout.trim() };
  throw new Error(`prisma migrate diff failed (exit ${code}):\n${(stderr || stdout).trim()}`);
}
