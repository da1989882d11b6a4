// Starting the built control plane for the end-to-end tests and the dashboard bench (apps/sim), so that both
// measure and test the same thing, started the same way. Node only: no Playwright here.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

export interface BuiltServer {
  url: string;
  adminEmail: string;
  adminPassword: string;
  dataDir: string;
  child: ChildProcess;
  /** What the server printed on stdout so far, when it was started with `stdout: "pipe"`; "" otherwise. */
  output(): string;
  stop(): Promise<void>;
}

export interface BuiltServerOptions {
  repoRoot: string;
  adminEmail: string;
  adminPassword: string;
  /** "" lets the control plane start its own embedded database. */
  databaseUrl: string;
  /** Prefix of the temporary data folder, to tell leftovers apart. */
  dataDirPrefix: string;
  /** The server's stdout ("pipe": kept for `output()`); its stderr (warnings and errors) always shows. */
  stdout: "inherit" | "ignore" | "pipe";
  /** Extra environment (REDIS_URL, BETTER_AUTH_SECRET, LOG_LEVEL, ...), over the defaults above. */
  env?: Record<string, string>;
  healthTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Stops a child and waits for it, SIGKILL after a grace period. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the control plane exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the control plane did not answer on ${url} within ${timeoutMs} ms`);
}

/**
 * Starts the built control plane (apps/web/dist/server.js) on a free loopback port with a fresh data folder,
 * a known admin and no local agent, and waits until it answers its health check.
 */
export async function startBuiltServer(options: BuiltServerOptions): Promise<BuiltServer> {
  const { repoRoot, adminEmail, adminPassword } = options;
  const entry = path.join(repoRoot, "apps/web/dist/server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), options.dataDirPrefix));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      LABFLEET_PUBLIC_URL: url,
      LABFLEET_DATA_DIR: dataDir,
      LABFLEET_ADMIN_EMAIL: adminEmail,
      LABFLEET_ADMIN_PASSWORD: adminPassword,
      LABFLEET_LOCAL_AGENT: "0",
      LOG_LEVEL: "error",
      DATABASE_URL: options.databaseUrl,
      ...options.env,
    },
    stdio: ["ignore", options.stdout, "inherit"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  const stop = async () => {
    await stopProcess(child, 15_000);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, options.healthTimeoutMs ?? 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, adminEmail, adminPassword, dataDir, child, output: () => out, stop };
}
