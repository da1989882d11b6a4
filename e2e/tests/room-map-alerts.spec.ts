import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { addWebhook, expect, repoRoot, signIn, startWebhookReceiver, stopProcess, test } from "../fixtures.ts";

const SEATS = ["A1", "A2", "A3", "B1", "B2", "B3"];

/** The simulator's state file: which device id each simulated hostname got. */
function simDevices(stateFile: string): { index: number; hostname: string; deviceId: string }[] {
  if (!existsSync(stateFile)) return [];
  return (
    JSON.parse(readFileSync(stateFile, "utf8")) as { devices: { index: number; hostname: string; deviceId: string }[] }
  ).devices;
}

test("a simulated room: a hot machine shows on the room map, fires an alert, and its page charts it", async ({
  page,
  server,
}) => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-sim-"));
  const stateFile = path.join(dir, "sim.json");
  let sim: ChildProcess | null = null;
  const receiver = await startWebhookReceiver();
  try {
    await signIn(page, server);
    // The staff chat's webhook: every alert of this room reaches it, signed.
    const secret = await addWebhook(page, receiver.url, "Room webhook");

    // A token for six machines, made in the dashboard.
    await page.goto(`${server.url}/tokens`);
    await page.getByLabel(/label/i).fill("Simulated room");
    await page.getByLabel(/max uses/i).fill("6");
    await page.getByRole("button", { name: /create token/i }).click();
    const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
    expect(token).toMatch(/^lfe_/);

    // Six simulated devices over the real enrollment endpoint and protocol; the first one runs hot (95 °C).
    sim = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "apps/sim/src/cli.ts"),
        "--devices",
        "6",
        "--server",
        server.url,
        "--token",
        token,
        "--hot",
        "1",
        "--state",
        stateFile,
        "--seconds",
        "230",
      ],
      { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" } },
    );
    await expect.poll(() => simDevices(stateFile).length, { timeout: 60_000 }).toBe(6);
    const devices = simDevices(stateFile).sort((a, b) => a.index - b.index);
    const hot = devices[0] as { deviceId: string; hostname: string };
    expect(hot.hostname).toBe("sim-001");

    // A 2 x 3 room with the six placed, the hot one on A1.
    await page.goto(`${server.url}/labs`);
    await page.getByLabel("Name").fill("Simulated room");
    await page.getByLabel(/rows/i).fill("2");
    await page.getByLabel(/columns/i).fill("3");
    await page.getByRole("button", { name: /create lab/i }).click();
    await expect(page).toHaveURL(/\/labs\/.+/);
    for (const [i, d] of devices.entries()) {
      const seat = SEATS[i] as string;
      await page.getByTestId(`bring-${d.deviceId}`).selectOption(seat);
      await expect(page.getByTestId(`seat-${seat}`)).toHaveAttribute("data-device-id", d.deviceId);
    }

    // Live on the map: every seat has a machine reporting; A1 is hot at 95 °C.
    const a1 = page.getByTestId("seat-A1");
    await expect(a1).toHaveAttribute("data-state", "hot");
    await expect(a1).toHaveAttribute("data-temp", "95");
    for (const seat of SEATS.slice(1)) {
      await expect(page.getByTestId(`seat-${seat}`)).toHaveAttribute("data-state", /^(online|busy|hot|throttling)$/);
      await expect(page.getByTestId(`seat-${seat}`).getByTestId("seat-cpu")).toHaveText(/CPU \d/);
    }

    // The default temperature rule (over 90 °C for 30 s) fires for it, and only for it.
    await page.getByRole("link", { name: /^alerts$/i }).click();
    const hotAlert = page.locator("[data-testid='alert-row'][data-kind='cpu_temp']").filter({ hasText: "sim-001" });
    await expect(hotAlert).toHaveAttribute("data-state", "firing", { timeout: 120_000 });
    for (const d of devices.slice(1)) {
      await expect(
        page.locator("[data-testid='alert-row'][data-kind='cpu_temp']").filter({ hasText: d.hostname }),
      ).toHaveCount(0);
    }

    // The webhook receiver got the alert, signed with its secret: one alert, one delivery. Delivery is at least
    // once (a retry after a slow answer repeats the body under the same X-LabFleet-Delivery id), so ids are counted.
    const fired = () =>
      receiver.got.flatMap((r) => {
        if (r.headers["x-labfleet-event"] !== "alert.fired") return [];
        const alert = (JSON.parse(r.body) as { alert: { id: string; kind: string; deviceName: string } }).alert;
        if (alert.deviceName !== "sim-001" || alert.kind !== "cpu_temp") return [];
        return [{ alertId: alert.id, deliveryId: String(r.headers["x-labfleet-delivery"]), r }];
      });
    const distinct = () => ({
      alerts: new Set(fired().map((f) => f.alertId)).size,
      deliveries: new Set(fired().map((f) => f.deliveryId)).size,
    });
    await expect.poll(distinct, { timeout: 30_000 }).toEqual({ alerts: 1, deliveries: 1 });
    const delivery = (fired()[0] as { r: { headers: Record<string, unknown>; body: string } }).r;
    expect(delivery.headers["x-labfleet-signature"]).toBe(receiver.signedWith(secret, delivery));

    // Its page: live stats, the temperature and throttling charts, the alert, and the history.
    await page.goto(`${server.url}/devices/${hot.deviceId}`);
    await expect(page.getByTestId("device-temp")).toHaveText("95 °C");
    await expect(page.getByTestId("live-chart")).toBeVisible();
    await expect(page.getByTestId("chart-temperature")).toBeVisible();
    await expect(page.getByTestId("chart-frequency")).toBeVisible();
    await expect(page.getByTestId("chart-cpu-cores")).toBeVisible();
    const alertItem = page.getByTestId("device-alerts").locator("li[data-alert-kind='cpu_temp']");
    await expect(alertItem).toContainText(/firing/i);
    await alertItem.getByRole("button", { name: /acknowledge/i }).click();
    await expect(alertItem).toContainText(/acknowledged/i);
    await expect
      .poll(() => receiver.got.filter((r) => r.headers["x-labfleet-event"] === "alert.acknowledged").length, {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(1);
    await page.getByRole("tab", { name: "Day" }).click();
    await expect(page.getByRole("tab", { name: "Day" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByTestId("history-load").or(page.getByTestId("history-empty"))).toBeVisible();
    // The hour's roll-ups come in within seconds of the first samples.
    await page.getByRole("tab", { name: "Hour" }).click();
    await expect(page.getByTestId("history-load")).toBeVisible({ timeout: 60_000 });
  } finally {
    receiver.close();
    if (sim) await stopProcess(sim);
    rmSync(dir, { recursive: true, force: true });
  }
});
