import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, signIn, stopProcess, test } from "../fixtures.ts";

test("an admin installs an agent with the pasted one-line command and sees the device online", async ({
  page,
  server,
}) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-install-"));
  const prefix = path.join(dir, "prefix");
  const configPath = path.join(dir, "etc", "agent.json");
  let agent: ChildProcess | null = null;
  try {
    await signIn(page, server);
    await page.goto(`${server.url}/tokens`);
    await page.getByLabel(/label/i).fill("Room 202");
    await page.getByRole("button", { name: /create token/i }).click();
    const installer = page.getByTestId("new-token-installer");
    await expect(installer).toBeVisible();
    await expect(page.getByTestId("new-token-command")).toBeVisible();

    // The line a person copies: curl <server>/install/agent.sh | sudo sh -s -- --token <token>.
    const line = (await installer.textContent())?.trim() ?? "";
    const match = line.match(/^curl -fsSL (\S+\/install\/agent\.sh) \| sudo sh -s -- --token (lfe_[A-Za-z0-9_-]{43})$/);
    expect(match, `the installer line: ${line}`).toBeTruthy();
    const [, scriptUrl, token] = match as RegExpMatchArray;
    expect(scriptUrl).toBe(`${server.url}/install/agent.sh`);

    // Run that line, without sudo and into a temporary npm prefix instead of the system's, with a clean
    // environment: the script downloads the served tarball, installs it with npm --offline and enrolls.
    // --no-runtime: the inference runtime comes from the npm registry, and tests talk only to loopback.
    const install = spawnSync(
      "sh",
      [
        "-c",
        'curl -fsSL "$1" | sh -s -- --token "$2" --prefix "$3" --config "$4" --name e2e-installed-pc --no-service --no-runtime',
        "sh",
        scriptUrl as string,
        token as string,
        prefix,
        configPath,
      ],
      {
        cwd: dir,
        encoding: "utf8",
        timeout: 120_000,
        env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: dir },
      },
    );
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    const installed = path.join(prefix, "bin", "labfleet-agent");
    expect(existsSync(installed), "npm installed the labfleet-agent binary").toBe(true);

    // The installed binary (not the repository's) runs as a real process.
    agent = spawn(installed, ["run", "--config", configPath], {
      env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let logs = "";
    agent.stdout?.on("data", (d: Buffer) => {
      logs += d.toString();
    });

    await page.getByRole("link", { name: /^devices$/i }).click();
    const { deviceId } = JSON.parse(readFileSync(configPath, "utf8")) as { deviceId: string };
    const tile = page.getByTestId(`device-tile-${deviceId}`);
    await expect(tile).toBeVisible();
    await expect(tile).toContainText("e2e-installed-pc");
    await expect(tile.getByTestId("device-status")).toHaveText(/online/i);

    // Its logs are JSON lines with the device id bound, as the service's journal will hold them.
    const first = JSON.parse(logs.split("\n")[0] ?? "{}") as { deviceId?: string };
    expect(first.deviceId).toBe(deviceId);
  } finally {
    if (agent) await stopProcess(agent);
    rmSync(dir, { recursive: true, force: true });
  }
});
