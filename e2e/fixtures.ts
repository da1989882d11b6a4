import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect, type Page } from "@playwright/test";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const agentCli = path.join(repoRoot, "apps/agent/dist/cli.js");

export interface RunningServer {
  url: string;
  adminEmail: string;
  adminPassword: string;
  dataDir: string;
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

/** Stops a child and waits for it, SIGKILL after a grace period. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts the built control plane (apps/web/dist/server.js) on a free loopback port with a fresh data folder. */
async function startServer(): Promise<{ server: RunningServer; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminEmail = "teacher@example.test";
  const adminPassword = "correct-horse-battery";
  const child = spawn(process.execPath, [path.join(repoRoot, "apps/web/dist/server.js")], {
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
      DATABASE_URL: "",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForHealth(url, child, 90_000);
  return {
    server: { url, adminEmail, adminPassword, dataDir },
    stop: async () => {
      await stopProcess(child, 15_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, server: RunningServer): Promise<void> {
  await page.goto(`${server.url}/devices`);
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Email or username").fill(server.adminEmail);
  await page.getByLabel("Password").fill(server.adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/devices/);
}

export const test = base.extend<object, { server: RunningServer }>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
    async ({}, use) => {
      const { server, stop } = await startServer();
      await use(server);
      await stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
});
export { expect };

/** A webhook receiver on loopback that records every POST, and checks a delivery's signature. */
export async function startWebhookReceiver() {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/labfleet`,
    got,
    signedWith: (secret: string, r: { body: string }) =>
      `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`,
    close: () => server.close(),
  };
}

/** Adds a webhook on the settings page and returns its secret (shown once). */
export async function addWebhook(page: Page, url: string, name: string): Promise<string> {
  await page.getByRole("link", { name: /^settings$/i }).click();
  await expect(page).toHaveURL(/\/settings/);
  await page.getByTestId("webhook-name").fill(name);
  await page.getByTestId("webhook-url").fill(url);
  await page.getByTestId("webhook-submit").click();
  const secret = (await page.getByTestId("webhook-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^whsec_/);
  return secret;
}
