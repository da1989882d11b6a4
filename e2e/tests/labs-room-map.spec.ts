import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { enrollAndRunAgent, expect, signIn, stopProcess, test } from "../fixtures.ts";

test("an admin builds a lab, places a live agent on the room map, and finds it in the fleet list", async ({
  page,
  server,
}) => {
  const agentDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-lab-"));
  const configPath = path.join(agentDir, "agent.json");
  let agent: ChildProcess | null = null;
  try {
    await signIn(page, server);

    // A lab with a 2 x 3 grid: six empty seats.
    await page.getByRole("link", { name: /^labs$/i }).click();
    await expect(page).toHaveURL(/\/labs$/);
    await page.getByLabel("Name").fill("Room 12");
    await page.getByLabel(/rows/i).fill("2");
    await page.getByLabel(/columns/i).fill("3");
    await page.getByRole("button", { name: /create lab/i }).click();
    await expect(page).toHaveURL(/\/labs\/.+/);
    const labUrl = page.url();
    await expect(page.getByTestId("lab-name")).toHaveText("Room 12");
    for (const label of ["A1", "A3", "B1", "B3"]) {
      await expect(page.getByTestId(`seat-${label}`)).toHaveAttribute("data-state", "empty");
    }
    await expect(page.getByTestId("lab-no-devices")).toBeVisible();

    // A real agent enrolls with a token made in the dashboard, and runs.
    await page.getByRole("link", { name: /enrollment tokens/i }).click();
    await page.getByLabel(/label/i).fill("Room 12 machines");
    await page.getByRole("button", { name: /create token/i }).click();
    const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
    const started = enrollAndRunAgent(server, token, configPath);
    const deviceId = started.deviceId;
    agent = started.agent;

    // Placed on B2 from the panel beside the map, it shows there live.
    await page.goto(labUrl);
    await page.getByTestId(`bring-${deviceId}`).selectOption("B2");
    const seat = page.getByTestId("seat-B2");
    await expect(seat).toHaveAttribute("data-device-id", deviceId);
    await expect(seat).toHaveAttribute("data-state", /^(online|hot|throttling)$/);
    await expect(seat.getByTestId("seat-cpu")).toHaveText(/CPU \d/);
    await expect(page.getByTestId("seat-A1")).toHaveAttribute("data-state", "empty");

    // The thermal view colours the seat by temperature, or hatches it when the temperature is unknown.
    await page.getByTestId("thermal-toggle").click();
    await expect(page.getByTestId("thermal-legend")).toBeVisible();
    const temp = await seat.getAttribute("data-temp");
    const background = await seat.evaluate((el) => (el as HTMLElement).style.background);
    if (temp === "") expect(background).toContain("repeating-linear-gradient");
    else expect(background).toMatch(/rgb|hsl/);

    // Unplaced, it is listed beside the map and the seat is empty again.
    await page.getByTestId(`place-${deviceId}`).selectOption("");
    await expect(seat).toHaveAttribute("data-state", "empty");
    await expect(page.getByTestId(`unplaced-${deviceId}`)).toBeVisible();

    // The fleet list: tiles by default, a table on request, with search and a lab filter.
    await page.getByRole("link", { name: /^devices$/i }).click();
    await expect(page.getByTestId(`device-tile-${deviceId}`)).toBeVisible();
    await page.getByTestId("view-table").click();
    const row = page.getByTestId(`fleet-row-${deviceId}`);
    await expect(row).toBeVisible();
    await expect(row).toContainText("Room 12");
    await page.getByTestId("fleet-search").fill("no-such-machine-anywhere");
    await expect(page.getByTestId("fleet-table-empty")).toBeVisible();
    await page.getByTestId("fleet-search").fill("");
    await page.getByTestId("fleet-filter-lab").selectOption({ label: "Room 12" });
    await expect(row).toBeVisible();
    await page.getByTestId("fleet-filter-lab").selectOption({ label: "No lab" });
    await expect(row).toBeHidden();
    await page.getByTestId("fleet-filter-lab").selectOption("");

    // Tags: added from the list, validated by the server, then usable as a filter.
    await page.getByTestId(`fleet-tags-${deviceId}`).click();
    await page.getByTestId("tag-input").fill("Front Row");
    await page.getByRole("button", { name: /^add$/i }).click();
    await expect(page.getByTestId("tag-remove-front-row")).toBeVisible();
    await page.getByTestId("tag-input").fill("no_underscores");
    await page.getByRole("button", { name: /^add$/i }).click();
    await expect(page.getByTestId("tag-editor").getByRole("alert")).toBeVisible();
    await page.getByTestId("fleet-filter-tag").selectOption("front-row");
    await expect(row).toBeVisible();
    await expect(page.getByTestId("fleet-count")).toHaveText(/^1 of /);

    // Clicking a placed seat opens its device.
    await page.goto(labUrl);
    await page.getByTestId(`place-${deviceId}`).selectOption("A3");
    await expect(page.getByTestId("seat-A3")).toHaveAttribute("data-device-id", deviceId);
    await page.getByTestId("seat-A3").click();
    await expect(page).toHaveURL(new RegExp(`/devices/${deviceId}$`));
  } finally {
    if (agent) await stopProcess(agent);
    rmSync(agentDir, { recursive: true, force: true });
  }
});
