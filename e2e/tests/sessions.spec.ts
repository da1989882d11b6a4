import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { enrollAndRunAgent, expect, signIn, stopProcess, test, trpcMutation } from "../fixtures.ts";

test("an instructor runs a lab session: labels, schedule, start; a student checks in and raises a hand; answered; ended", async ({
  page,
  server,
  browser,
}) => {
  const agentDir = mkdtempSync(path.join(os.tmpdir(), "b-e2e-"));
  let agent: ChildProcess | null = null;
  try {
    await signIn(page, server);
    await expect(page).toHaveURL(/\/devices/);
    await page.getByRole("link", { name: /^labs$/i }).click();
    await expect(page).toHaveURL(/\/labs$/);
    await page.getByLabel("Name").fill("Room S");
    await page.getByLabel(/rows/i).fill("1");
    await page.getByLabel(/columns/i).fill("2");
    await page.getByRole("button", { name: /create lab/i }).click();
    await expect(page).toHaveURL(/\/labs\/.+/);
    const labUrl = page.url();
    const labId = labUrl.split("/labs/")[1] as string;
    await page.getByRole("link", { name: /enrollment tokens/i }).click();
    await page.getByLabel(/label/i).fill("S machines");
    await page.getByRole("button", { name: /create token/i }).click();
    const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
    const started = enrollAndRunAgent(server, token, path.join(agentDir, "agent.json"));
    agent = started.agent;
    await page.goto(labUrl);
    await page.getByTestId(`bring-${started.deviceId}`).selectOption("A1");
    await expect(page.getByTestId("seat-A1")).toHaveAttribute("data-device-id", started.deviceId);

    await page.goto(`${labUrl}/labels`);
    const label = page.getByTestId("seat-label").first();
    await expect(label).toContainText("Seat A1");
    const code = (await label.getAttribute("data-seat-code")) ?? "";
    expect(code).toMatch(/^[A-Z0-9]{5}$/);

    const cls = await trpcMutation(page, server.url, "class.create", { name: "Physics", term: "2026" });
    const imported = await trpcMutation(page, server.url, "class.importCommit", {
      classId: cls.id,
      csv: "name,username\nAda Byron,ada.sessions",
    });
    const password = imported.credentials[0].password as string;

    await page.goto(`${server.url}/classes/${cls.id}?tab=sessions`);
    const form = page.getByTestId("schedule-session-form");
    await form.getByLabel("Title").fill("Week 1");
    await page.getByTestId("session-lab").selectOption(labId);
    const pad = (n: number) => String(n).padStart(2, "0");
    const local = (d: Date) =>
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    await form.getByLabel("Starts", { exact: true }).fill(local(new Date(Date.now() - 60_000)));
    await form.getByLabel("Ends", { exact: true }).fill(local(new Date(Date.now() - 120_000)));
    await form.getByRole("button", { name: /schedule session/i }).click();
    await expect(form.getByText("The end must be after the start.")).toBeVisible();
    await form.getByLabel("Ends", { exact: true }).fill(local(new Date(Date.now() + 3_600_000)));
    await form.getByRole("button", { name: /schedule session/i }).click();
    await page.getByRole("link", { name: "Week 1" }).click();
    await expect(page).toHaveURL(/\/sessions\//);
    await page.getByRole("button", { name: /start session/i }).click();
    await expect(page.getByTestId("session-status")).toHaveAttribute("data-status", "active");
    await expect(page.getByTestId("seat-A1").getByTestId("seat-code")).toHaveText(code);

    const studentContext = await browser.newContext();
    const sp = await studentContext.newPage();
    await sp.goto(`${server.url}/login`);
    await sp.getByLabel("Email or username").fill("ada.sessions");
    await sp.getByLabel("Password").fill(password);
    await sp.getByRole("button", { name: /sign in/i }).click();
    await expect(sp).toHaveURL(/\/student$/);
    await expect(sp.getByRole("link", { name: "My classes" })).toBeVisible();
    await expect(sp.getByRole("link", { name: "Devices" })).toHaveCount(0);
    await sp.getByLabel("Seat code").fill("zzzzz");
    await sp.getByRole("button", { name: /check in/i }).click();
    await expect(sp.getByTestId("check-in-error")).toHaveText("No seat has that code.");
    await sp.getByLabel("Seat code").fill(code.toLowerCase());
    await sp.getByRole("button", { name: /check in/i }).click();
    await expect(sp.getByTestId("my-seat")).toContainText("A1");
    await expect(sp.getByTestId("my-seat-state")).toHaveAttribute("data-status", "online");
    await sp.getByLabel(/what do you need help/i).fill("The model will not load");
    await sp.getByTestId("raise-hand").click();
    await expect(sp.getByTestId("my-hand")).toContainText("number 1");

    const seat = page.getByTestId("seat-A1");
    await expect(seat.getByTestId("seat-student")).toHaveText("Ada Byron");
    await expect(seat.getByTestId("seat-hand")).toContainText("1");
    await expect(page.getByTestId("help-queue")).toContainText("The model will not load");

    await page.getByTestId("answer-hand").click();
    await expect(page.getByTestId("help-queue-empty")).toBeVisible();
    await expect(sp.getByTestId("my-hand")).toHaveCount(0);
    await expect(sp.getByTestId("raise-hand")).toBeVisible();

    await sp.goto(`${server.url}/devices`);
    await expect(sp.getByTestId("not-for-students")).toBeVisible();
    await sp.goto(`${server.url}/student`);

    await page.getByRole("button", { name: /end session/i }).click();
    await page
      .getByRole("dialog")
      .getByRole("button", { name: /end session/i })
      .click();
    await expect(page.getByTestId("session-status")).toHaveAttribute("data-status", "ended");
    await expect(sp.getByTestId("no-active-session")).toBeVisible();
    await studentContext.close();
  } finally {
    if (agent) await stopProcess(agent);
  }
});
