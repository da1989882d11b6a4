/**
 * The embedded cluster's lifecycle steps: initdb on first start, running the postmaster until its
 * postmaster.pid says "ready", and creating the application database.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { chown, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import * as proc from "./embedded-process.ts";

const PASSWORD_FILE = "labfleet-password";
const LOG_FILE = "labfleet-postgres.log";
// Linux sun_path is 108 bytes, macOS 104: keep the socket only where its full path fits.
const MAX_SOCKET_PATH = 100;

export async function ensureInitialised(
  dataDir: string,
  bins: proc.Binaries,
  runAs: proc.RunAs | undefined,
  ephemeral: boolean,
): Promise<string> {
  const passwordFile = path.join(dataDir, PASSWORD_FILE);
  if (existsSync(path.join(dataDir, "PG_VERSION"))) {
    if (existsSync(passwordFile)) return readFileSync(passwordFile, "utf8").trim();
    throw new Error(
      `${dataDir} holds a PostgreSQL cluster without ${PASSWORD_FILE} (not made by LabFleet, or its first start ` +
        "was interrupted). Delete the folder to start afresh, or set DATABASE_URL to use it as an external server.",
    );
  }
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new Error(`${dataDir} is not empty and holds no database: choose an empty or new folder`);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  const password = randomBytes(18).toString("base64url");
  // initdb reads the superuser password from a file: a private folder, readable only by the server's user.
  const tmp = await mkdtemp(path.join(os.tmpdir(), "labfleet-initdb-"));
  try {
    const pwfile = path.join(tmp, "pw");
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) await Promise.all([chown(tmp, runAs.uid, runAs.gid), chown(pwfile, runAs.uid, runAs.gid)]);
    const args = [`--pgdata=${dataDir}`, "--username=postgres", `--pwfile=${pwfile}`, "--auth-host=scram-sha-256"];
    // Only the server's user (and root) can open the socket folder (the data folder), so local trust is safe.
    args.push("--auth-local=trust", "--encoding=UTF8", "--no-locale", "--no-instructions");
    if (ephemeral) args.push("--no-sync");
    const output = await run(bins.initdb, args, runAs);
    if (output.code !== 0) throw new Error(`initdb failed (exit ${output.code}): ${output.text.trim().slice(-2000)}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  return password;
}

function run(file: string, args: string[], runAs?: proc.RunAs): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...runAs,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d));
    child.stderr.on("data", (d: Buffer) => (text += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, text }));
  });
}

export class PortInUseError extends Error {}

export interface Started {
  child: ReturnType<typeof spawn>;
  port: number;
  logFile: string;
}

export async function spawnServer(o: {
  dataDir: string;
  bins: proc.Binaries;
  runAs?: proc.RunAs;
  port: number;
  ephemeral: boolean;
}): Promise<Started> {
  const logFile = path.join(o.dataDir, LOG_FILE);
  if (existsSync(logFile) && statSync(logFile).size > 10 * 1024 * 1024) await rename(logFile, `${logFile}.1`);
  const socketDir =
    `${o.dataDir}/.s.PGSQL.${o.port}`.length <= MAX_SOCKET_PATH && !o.dataDir.includes('"') ? o.dataDir : "";
  const args = ["-D", o.dataDir, "-p", String(o.port), "-c", "listen_addresses=127.0.0.1"];
  args.push("-c", `unix_socket_directories=${socketDir ? `"${socketDir}"` : ""}`, "-c", "lc_messages=C");
  if (o.ephemeral) {
    args.push(
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=300",
    );
  }
  // The log goes straight to a file, so nothing in this process has to keep reading a pipe.
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const fd = openSync(logFile, "a", 0o600);
  const child = spawn(o.bins.postgres, args, {
    ...o.runAs,
    // Its own process group: a terminal's Ctrl-C reaches the control plane, which then stops the database after
    // its own last writes, instead of the database going down under it.
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, LC_ALL: "C" },
  });
  closeSync(fd);
  const logTail = () => readFileSync(logFile, "utf8").slice(logStart).trim().split("\n").slice(-15).join("\n");
  let exited = false;
  child.once("exit", () => (exited = true));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));

  const deadline = Date.now() + 60_000;
  while (true) {
    const info = proc.readPostmasterPid(o.dataDir);
    if (info && info.pid === child.pid && info.status === "ready") return { child, port: o.port, logFile };
    const failed = await Promise.race([spawnError, sleep(20).then(() => null)]);
    if (failed) throw new Error(`Could not run ${o.bins.postgres}: ${failed.message}`);
    if (exited) {
      const tail = logTail();
      if (/could not bind|address already in use/i.test(tail)) throw new PortInUseError(`Port ${o.port} is in use`);
      throw new Error(`PostgreSQL did not start (data ${o.dataDir}, port ${o.port}):\n${tail}`);
    }
    if (Date.now() > deadline) {
      if (child.pid) await proc.stopPid(child.pid);
      throw new Error(`PostgreSQL did not become ready within 60 s (data ${o.dataDir}):\n${logTail()}`);
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== "42P04") throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
