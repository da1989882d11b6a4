import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { checkMigrationsMatchSchema } from "./drift.ts";
import { findMigrationsDir } from "./migrate.ts";
import { startTestPostgres, type TestPostgres } from "./test-db.ts";

let server: TestPostgres | undefined;
let serverUrl: string;
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-drift-test-"));
  if (process.env.LABFLEET_TEST_PG_URL) {
    serverUrl = process.env.LABFLEET_TEST_PG_URL;
  } else {
    server = await startTestPostgres();
    serverUrl = server.url;
  }
});
after(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe("checkMigrationsMatchSchema", () => {
  test("the committed migrations match prisma/schema.prisma", async () => {
    const result = await checkMigrationsMatchSchema({ serverUrl });
    assert.equal(result.ok, true, result.script);
  });

  test("a schema with an extra column is reported, with the SQL it lacks", async () => {
    const schema = await readFile(path.join(path.dirname(findMigrationsDir()), "schema.prisma"), "utf8");
    const changed = schema.replace(/model Lab \{\n/, "model Lab {\n  roomNumber String?\n");
    assert.notEqual(changed, schema);
    const schemaPath = path.join(tmp, "schema.prisma");
    await writeFile(schemaPath, changed);
    const result = await checkMigrationsMatchSchema({ serverUrl, schemaPath });
    assert.equal(result.ok, false);
    assert.match(result.script, /ALTER TABLE "lab" ADD COLUMN\s+"roomNumber" TEXT/);
  });

  test("no shadow databases are left on the server", async () => {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname LIKE 'prisma_shadow_%'");
      assert.equal(rowCount, 0);
    } finally {
      await client.end();
    }
  });
});
