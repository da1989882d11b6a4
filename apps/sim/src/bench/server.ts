import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

export interface BenchServer {
  url: string;
  adminEmail: string;
  adminPassword: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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

/**
 * Starts the built control plane (apps/web/dist/server.js) as e2e/fixtures.ts does: loopback, a temporary data
 * folder, a known admin, no local agent; on the given database so that the bench can write roll-ups into it.
 */
export async function startBuiltServer(repoRoot: string, databaseUrl: string): Promise<BenchServer> {
  const entry = path.join(repoRoot, "apps/web/dist/server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-bench-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminEmail = "bench@example.test";
  const adminPassword = "correct-horse-battery-bench";
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
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
    },
    // Its banner would mix with the bench's table; warnings and errors still show.
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the control plane exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, adminEmail, adminPassword, child, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the control plane did not answer on ${url} within 90 s`);
}
