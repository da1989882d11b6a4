import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { enrollAndRunAgent, expect, signIn, stopProcess, test } from "../fixtures.ts";

test("an admin enrolls a real agent from the UI, watches it live, and revokes it", async ({ page, server }) => {
  const agentDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-agent-"));
  const configPath = path.join(agentDir, "agent.json");
  let agent: ChildProcess | null = null;
  let burner: ChildProcess | null = null;
  try {
    await signIn(page, server);
    await expect(page.getByText(/enrollment token/i).first()).toBeVisible();

    // Create a token in the dashboard and read it back from the page, as a person would copy it.
    await page.getByRole("link", { name: /enrollment tokens/i }).click();
    await expect(page).toHaveURL(/\/tokens/);
    await page.getByLabel(/label/i).fill("Room 101");
    await page.getByRole("button", { name: /create token/i }).click();
    await expect(page.getByTestId("new-token")).toBeVisible();
    await expect(page.getByTestId("new-token-command")).toContainText(`--server ${server.url}`);
    const token = (await page.getByTestId("new-token-value").textContent())
      ?.trim()
      .match(/^lfe_[A-Za-z0-9_-]{43}$/)?.[0];
    expect(token, "the new token is shown on the page").toBeTruthy();
    await expect(page.getByTestId("token-row").filter({ hasText: "Room 101" })).toBeVisible();

    // A real agent process enrolls with it...
    // ...and runs, while a small CPU burner makes the load move.
    const started = enrollAndRunAgent(server, token as string, configPath);
    agent = started.agent;
    burner = spawn(process.execPath, [
      "-e",
      "const end=Date.now()+60000;(function tick(){const s=Date.now();while(Date.now()-s<Math.random()*400);if(Date.now()<end)setTimeout(tick,Math.random()*300)})()",
    ]);

    await page.getByRole("link", { name: /^devices$/i }).click();
    // Its own tile: other specs' devices share this server.
    const tile = page.getByTestId(`device-tile-${started.deviceId}`);
    await expect(tile).toBeVisible();
    await expect(tile.getByTestId("device-status")).toHaveText(/online/i);
    const cpu = tile.getByTestId("device-cpu");
    await expect(cpu).toHaveText(/\d/);
    // Live: the value changes without a reload (the agent reports every second while the page watches).
    // The raw reading (data-value) is compared, so a busy machine pinned near one rounded figure still shows it.
    const first = await cpu.getAttribute("data-value");
    await expect(cpu).not.toHaveAttribute("data-value", first ?? "", { timeout: 30_000 });

    // Open the device, then revoke it: it goes offline at once and the agent process is told and exits.
    await tile.click();
    await expect(page).toHaveURL(/\/devices\/.+/);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: /revoke/i }).click();
    const confirm = page.getByRole("button", { name: /^revoke device$/i });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await expect(page.getByTestId("device-status").first()).toHaveText(/revoked/i);
    const exitCode = await new Promise<number | null>((resolve) => {
      if (agent?.exitCode !== null) resolve(agent?.exitCode ?? null);
      agent?.once("exit", (code) => resolve(code));
    });
    expect(exitCode, "a revoked agent exits with the credential-refused code").toBe(5);
  } finally {
    if (burner) await stopProcess(burner);
    if (agent) await stopProcess(agent);
    rmSync(agentDir, { recursive: true, force: true });
  }
});
