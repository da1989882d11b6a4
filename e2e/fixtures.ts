import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect, type Page } from "@playwright/test";
import { type BuiltServer, startBuiltServer, stopProcess } from "./built-server.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const agentCli = path.join(repoRoot, "apps/agent/dist/cli.js");

export type RunningServer = Pick<BuiltServer, "url" | "adminEmail" | "adminPassword" | "dataDir">;
export { stopProcess };

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
      const server = await startBuiltServer({
        repoRoot,
        adminEmail: "teacher@example.test",
        adminPassword: "correct-horse-battery",
        databaseUrl: "",
        dataDirPrefix: "labfleet-e2e-",
        stdout: "inherit",
      });
      await use(server);
      await server.stop();
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

/** Enrolls a real agent process with a token (as a person would paste it), then starts it running. */
export function enrollAndRunAgent(
  server: RunningServer,
  token: string,
  configPath: string,
): { deviceId: string; agent: ChildProcess } {
  const enroll = spawnSync(
    process.execPath,
    [agentCli, "enroll", "--server", server.url, "--token", token, "--config", configPath],
    { encoding: "utf8", timeout: 30_000 },
  );
  expect(enroll.status, enroll.stderr + enroll.stdout).toBe(0);
  const { deviceId } = JSON.parse(readFileSync(configPath, "utf8")) as { deviceId: string };
  const agent = spawn(process.execPath, [agentCli, "run", "--config", configPath], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { deviceId, agent };
}

/** A tRPC mutation as the signed-in page (its cookie, a same-origin header); the answer's data. */
export async function trpcMutation(page: Page, url: string, proc: string, input: unknown) {
  const res = await page.request.post(`${url}/api/trpc/${proc}`, {
    data: { json: input },
    headers: { origin: url },
  });
  const body = await res.json();
  expect(res.ok(), JSON.stringify(body)).toBe(true);
  return body.result.data.json;
}

/** A datetime-local value with seconds, in the browser's (this machine's) time zone. */
export function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
