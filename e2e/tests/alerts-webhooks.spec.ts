import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { addWebhook, enrollAndRunAgent, expect, signIn, startWebhookReceiver, stopProcess, test } from "../fixtures.ts";

test("an alert fires from a real agent, is acknowledged and resolves; a webhook gets it signed; /metrics serves it", async ({
  page,
  server,
}) => {
  const agentDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-alerts-"));
  const configPath = path.join(agentDir, "agent.json");
  const receiver = await startWebhookReceiver();
  let agent: ChildProcess | null = null;
  try {
    await signIn(page, server);

    // A real agent on this machine.
    await page.goto(`${server.url}/tokens`);
    await page.getByLabel(/label/i).fill("Alerts room");
    await page.getByRole("button", { name: /create token/i }).click();
    const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
    agent = enrollAndRunAgent(server, token, configPath).agent;

    // A webhook, whose secret is shown once.
    const secret = await addWebhook(page, receiver.url, "Staff chat");

    // A memory rule any running machine breaks (1 %, at once) makes the alert fire from real telemetry.
    const memory = page.locator("[data-testid='rule-row'][data-kind='memory_high']");
    await memory.getByTestId("rule-threshold").fill("1");
    await memory.getByTestId("rule-for").fill("0");
    await memory.getByTestId("rule-save").click();
    await expect(memory).toContainText(/fleet-wide/i);

    const badge = page.getByTestId("alerts-badge");
    await expect(badge).toHaveAttribute("data-count", "1", { timeout: 30_000 });
    await badge.click();
    await expect(page).toHaveURL(/\/alerts/);
    const row = page.locator("[data-testid='alert-row'][data-kind='memory_high']");
    await expect(row).toHaveAttribute("data-state", "firing");
    await row.getByTestId("alert-ack").click();
    await expect(row).toHaveAttribute("data-state", "acknowledged");
    await expect(badge).toHaveAttribute("data-count", "0");

    // Turning the rule off resolves it; the feed shows it live.
    await page.getByRole("link", { name: /^settings$/i }).click();
    await page.locator("[data-testid='rule-row'][data-kind='memory_high']").getByTestId("rule-enabled").uncheck();
    await page.locator("[data-testid='rule-row'][data-kind='memory_high']").getByTestId("rule-save").click();
    await page.getByRole("link", { name: /^alerts$/i }).click();
    await expect(page.locator("[data-testid='alert-row'][data-kind='memory_high']")).toHaveAttribute(
      "data-state",
      "resolved",
      { timeout: 30_000 },
    );

    // The receiver got all three, each signed with the secret over the raw body.
    await expect
      .poll(() => receiver.got.map((r) => r.headers["x-labfleet-event"]).sort(), { timeout: 30_000 })
      .toEqual(["alert.acknowledged", "alert.fired", "alert.resolved"]);
    for (const r of receiver.got) expect(r.headers["x-labfleet-signature"]).toBe(receiver.signedWith(secret, r));
    await page.getByRole("link", { name: /^settings$/i }).click();
    await expect(page.locator("[data-testid='delivery-row'][data-status='delivered']")).toHaveCount(3, {
      timeout: 15_000,
    });

    // Metrics: off until a token exists, then served with it only.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    await page.getByTestId("metrics-rotate").click();
    const metricsToken = (await page.getByTestId("metrics-token").textContent())?.trim() ?? "";
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const scrape = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/labfleet_device_online\{[^}]*\} 1/);
  } finally {
    receiver.close();
    if (agent) await stopProcess(agent);
    rmSync(agentDir, { recursive: true, force: true });
  }
});
