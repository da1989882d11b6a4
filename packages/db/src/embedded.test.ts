import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmod, lstat, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startEmbeddedPostgres } from "./embedded.ts";
import * as proc from "./embedded-process.ts";

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "test-fixtures", "start-embedded.ts");
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-embedded-test-"));
  await chmod(tmp, 0o755); // as root the server runs as `postgres`, which must pass through this folder
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** No postgres process of this data folder is left: neither the postmaster nor any backend. */
function assertNoServer(dataDir: string, pid: number): void {
  assert.equal(proc.isAlive(pid), false, `postmaster ${pid} still alive`);
  const pgrep = spawnSync("pgrep", ["-f", "--", `-D ${dataDir}`], { encoding: "utf8" });
  assert.equal(pgrep.stdout.trim(), "", `postgres processes left: ${pgrep.stdout}`);
  const children = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
  assert.equal(children.stdout.trim(), "");
}

/** Runs the fixture in a child process; resolves with the child and what the server reported. */
async function startInChild(dataDir: string): Promise<{ child: ChildProcess; pid: number; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, dataDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  for await (const chunk of child.stdout ?? []) {
    out += chunk;
    if (out.includes("\n")) break;
  }
  const info = JSON.parse(out) as { pid: number; port: number };
  return { child, ...info };
}

describe("startEmbeddedPostgres", () => {
  test("initialises once, keeps data across stop/start, and leaves no process behind", async (t) => {
    const dataDir = path.join(tmp, "keep", "pg");
    let started = performance.now();
    const first = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    const initMs = performance.now() - started;
    assert.notEqual(first.port, 5432);
    assert.match(first.databaseUrl, /^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/labfleet$/);
    await sql(first.databaseUrl, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')");
    await first.stop();
    await first.stop(); // twice is fine
    assertNoServer(first.dataDir, first.pid);

    started = performance.now();
    const second = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    const startMs = performance.now() - started;
    try {
      assert.deepEqual(await sql(second.databaseUrl, "SELECT v FROM kept"), [{ v: "hello" }]);
      // The Unix socket lives in the data folder, not in /tmp where other servers keep theirs.
      assert.ok((await lstat(path.join(second.dataDir, `.s.PGSQL.${second.port}`))).isSocket());
    } finally {
      await second.stop();
    }
    assertNoServer(second.dataDir, second.pid);
    t.diagnostic(`init+start ${initMs.toFixed(0)} ms, restart ${startMs.toFixed(0)} ms`);
  });

  test("uses a given port and refuses 5432", async () => {
    await assert.rejects(startEmbeddedPostgres({ dataDir: path.join(tmp, "p5432"), port: 5432 }), /5432/);
    const probe = await startEmbeddedPostgres({ dataDir: path.join(tmp, "fixed"), ephemeral: true });
    const port = probe.port;
    await probe.stop();
    const fixed = await startEmbeddedPostgres({ dataDir: path.join(tmp, "fixed"), port, ephemeral: true });
    try {
      assert.equal(fixed.port, port);
      assert.ok(fixed.databaseUrl.includes(`:${port}/`));
    } finally {
      await fixed.stop();
    }
  });

  test("a server left running by a SIGKILLed parent is stopped and replaced", async () => {
    const dataDir = path.join(tmp, "orphan");
    const { child, pid } = await startInChild(dataDir);
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.ok(proc.isAlive(pid), "the postmaster outlives its SIGKILLed parent");

    const server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    try {
      assert.equal(proc.isAlive(pid), false);
      assert.ok(
        server.notes.some((n) => n.includes(`pid ${pid}`)),
        server.notes.join("; "),
      );
      assert.deepEqual(await sql(server.databaseUrl, "SELECT 1 AS one"), [{ one: 1 }]);
    } finally {
      await server.stop();
    }
    assertNoServer(server.dataDir, server.pid);
  });

  test("a server whose parent is alive is not taken over", async () => {
    const dataDir = path.join(tmp, "owned");
    const { child, pid } = await startInChild(dataDir);
    try {
      await assert.rejects(startEmbeddedPostgres({ dataDir, ephemeral: true }), /in use by process/);
      assert.ok(proc.isAlive(pid));
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    const server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    await server.stop();
    assertNoServer(server.dataDir, pid);
  });

  test("starting the same data folder twice in one process is refused", async () => {
    const dataDir = path.join(tmp, "twice");
    const server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    try {
      await assert.rejects(startEmbeddedPostgres({ dataDir, ephemeral: true }), /already running in this process/);
    } finally {
      await server.stop();
    }
  });

  test("a stale postmaster.pid whose process is gone is ignored", async () => {
    const dataDir = path.join(tmp, "stale");
    const first = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    await first.stop();
    const gone = spawnSync("true").pid;
    await writeFile(
      path.join(first.dataDir, "postmaster.pid"),
      `${gone}\n${first.dataDir}\n0\n${first.port}\n\n\n\nready   \n`,
    );
    const second = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    await second.stop();
    assertNoServer(second.dataDir, second.pid);
  });
});

describe("as root, folders the postgres user cannot pass", { skip: !proc.isRoot() && "needs root" }, () => {
  test("a private (0700) folder above the data gets group postgres, search only (0710)", async () => {
    const privateDir = path.join(tmp, "private");
    await mkdir(privateDir, { mode: 0o700 });
    await chmod(privateDir, 0o700);
    const dataDir = path.join(privateDir, "data", "pg");
    const user = proc.ensurePostgresUser();
    const server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    try {
      assert.equal(server.dataDir, dataDir);
      assert.ok(
        server.notes.some((n) => n.startsWith(`${privateDir}:`)),
        server.notes.join("; "),
      );
      const st = await stat(privateDir);
      assert.equal(st.mode & 0o777, 0o710);
      assert.equal(st.gid, user.gid);
      assert.deepEqual(await sql(server.databaseUrl, "SELECT 1 AS one"), [{ one: 1 }]);
    } finally {
      await server.stop();
    }
    const again = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    assert.deepEqual(again.notes, []);
    await again.stop();
  });

  test("a blocking folder whose group has rights is left alone, with a clear error", async () => {
    const shared = path.join(tmp, "group-shared");
    await mkdir(shared);
    await chmod(shared, 0o750);
    await assert.rejects(
      startEmbeddedPostgres({ dataDir: path.join(shared, "pg"), ephemeral: true }),
      /cannot pass through .*group-shared.*chmod o\+x/s,
    );
    assert.equal((await stat(shared)).mode & 0o777, 0o750);
  });

  test("binaries under a private folder become reachable the same way", async () => {
    const user = proc.ensurePostgresUser();
    const checkout = path.join(tmp, "checkout");
    await mkdir(path.join(checkout, "bin"), { recursive: true });
    await chmod(checkout, 0o700);
    const tool = path.join(checkout, "bin", "tool");
    await writeFile(tool, "#!/bin/sh\necho ran\n", { mode: 0o755 });
    assert.equal(proc.canReach(tool, user), false);
    assert.equal(proc.firstBlockedFolder(tool, user), checkout);
    assert.equal(proc.grantTraverse(tool, user, "a tool").length, 1);
    assert.equal(spawnSync(tool, { uid: user.uid, gid: user.gid, encoding: "utf8" }).stdout, "ran\n");
    assert.deepEqual(proc.grantTraverse(tool, user, "a tool"), []);
  });
});
