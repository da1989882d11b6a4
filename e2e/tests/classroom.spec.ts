import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import { enrollAndRunAgent, expect, localInput, signIn, stopProcess, test } from "../fixtures.ts";

// A real evaluation of the iris MLP on a real agent: seconds, but the machine is shared with the server.
const RUN_MS = 120_000;

async function trpcQuery(page: Page, url: string, proc: string, input: unknown) {
  const q = `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await page.request.get(`${url}/api/trpc/${proc}${q}`, { headers: { origin: url } });
  return { ok: res.ok(), status: res.status(), body: JSON.stringify(await res.json()) };
}

async function signInAs(browser: Browser, url: string, login: string, password: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.getByLabel("Email or username").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: /sign in/i }).click();
  return page;
}

test("a class from roster to grade: import, assignment, session, a student's run, submission, gradebook and CSV", async ({
  page,
  server,
  browser,
}) => {
  test.setTimeout(300_000);
  const agentDir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-class-"));
  let agent: ChildProcess | null = null;
  try {
    // The admin gives an instructor an account, and sets up the room: a lab with one real agent on seat A1.
    await signIn(page, server);
    await page.goto(`${server.url}/settings`);
    const people = page.getByTestId("person-form");
    await people.getByLabel("Name", { exact: true }).fill("Rosalind Franklin");
    await people.getByLabel("Username", { exact: true }).fill("rfranklin");
    await page.getByTestId("person-role").selectOption("instructor");
    await page.getByTestId("person-create").click();
    const instructorPassword = ((await page.getByTestId("person-password").textContent()) ?? "").trim();
    expect(instructorPassword).toMatch(/^[a-z0-9]{10}$/);

    await page.getByRole("link", { name: /^labs$/i }).click();
    await expect(page).toHaveURL(/\/labs$/);
    await page.getByLabel("Name", { exact: true }).fill("Lab 2");
    await page.getByLabel(/rows/i).fill("1");
    await page.getByLabel(/columns/i).fill("2");
    await page.getByRole("button", { name: /create lab/i }).click();
    await expect(page).toHaveURL(/\/labs\/.+/);
    const labUrl = page.url();
    const labId = labUrl.split("/labs/")[1] as string;
    await page.getByRole("link", { name: /enrollment tokens/i }).click();
    await page.getByLabel(/label/i).fill("Lab 2 machines");
    await page.getByRole("button", { name: /create token/i }).click();
    const token = ((await page.getByTestId("new-token-value").textContent()) ?? "").trim();
    const started = enrollAndRunAgent(server, token, path.join(agentDir, "agent.json"));
    agent = started.agent;
    await page.goto(labUrl);
    await page.getByTestId(`bring-${started.deviceId}`).selectOption("A1");
    await expect(page.getByTestId("seat-A1")).toHaveAttribute("data-device-id", started.deviceId);
    await page.goto(`${labUrl}/labels`);
    const seatCode = (await page.getByTestId("seat-label").first().getAttribute("data-seat-code")) ?? "";
    expect(seatCode).toMatch(/^[A-Z0-9]{5}$/);

    // The instructor signs in and creates the class.
    const teacher = await signInAs(browser, server.url, "rfranklin", instructorPassword);
    await expect(teacher).toHaveURL(/\/devices/);
    // An instructor sees the machines of the labs they use: none yet, so not the admin's new agent.
    await expect(teacher.getByTestId("devices-empty-scope")).toBeVisible();
    await expect(teacher.getByTestId(`device-tile-${started.deviceId}`)).toHaveCount(0);
    await teacher.getByRole("link", { name: /^classes$/i }).click();
    await expect(teacher).toHaveURL(/\/classes$/);
    await teacher.getByLabel("Name").fill("Edge AI 101");
    await teacher.getByLabel("Term").fill("Fall 2026");
    await teacher.getByRole("button", { name: "Create class" }).click();
    await expect(teacher.getByTestId("class-name")).toHaveText("Edge AI 101");
    const classId = teacher.url().split("/classes/")[1]?.split(/[?#]/)[0] as string;

    // A roster with one bad row: the preview names it and the import stays closed until it is fixed.
    await teacher.getByTestId("roster-import-open").click();
    const csv = "name,username,email\nAda Lovelace,ada,ada@example.org\nAlan Turing,alan,not-an-email\n";
    await teacher.getByTestId("roster-import-text").fill(csv);
    await teacher.getByTestId("roster-preview-button").click();
    await expect(teacher.getByTestId("roster-preview-row")).toHaveCount(2);
    const badRow = teacher.locator('[data-testid="roster-preview-row"][data-ok="false"]');
    await expect(badRow).toHaveCount(1);
    await expect(badRow).toContainText("Alan Turing");
    await expect(badRow).toContainText("not a valid e-mail");
    await expect(teacher.getByTestId("roster-import-button")).toBeDisabled();
    await teacher.getByTestId("roster-import-text").fill(csv.replace("not-an-email", "alan@example.org"));
    await teacher.getByTestId("roster-preview-button").click();
    await expect(teacher.locator('[data-testid="roster-preview-row"][data-ok="true"]')).toHaveCount(2);
    await teacher.getByTestId("roster-import-button").click();
    await expect(teacher.getByTestId("credential-row")).toHaveCount(2);
    const passwordOf = async (username: string) =>
      (
        (await teacher
          .getByTestId("credential-row")
          .filter({ hasText: username })
          .getByTestId("credential-password")
          .textContent()) ?? ""
      ).trim();
    const adaPassword = await passwordOf("ada");
    const alanPassword = await passwordOf("alan");
    await teacher.getByTestId("credentials-done").click();
    await expect(teacher.getByTestId("roster-row")).toHaveCount(2);

    // The assignment: evaluate the iris MLP, accuracy at least 80 %, threads 1–2.
    const models = await trpcQuery(teacher, server.url, "model.list", undefined);
    const iris = (
      JSON.parse(models.body).result.data.json as Array<{
        slug: string | null;
        versions: Array<{ id: string; variant: string }>;
      }>
    ).find((m) => m.slug === "iris-mlp");
    const versionId = iris?.versions.find((v) => v.variant === "fp32")?.id as string;
    expect(versionId).toBeTruthy();
    await teacher.goto(`${server.url}/classes/${classId}?tab=assignments`);
    await teacher.getByTestId("assignment-new").click();
    const form = teacher.getByTestId("assignment-form");
    await form.getByLabel("Title").fill("How accurate is the iris MLP?");
    await teacher.getByTestId("assignment-instructions").fill("Run an **evaluation** on your seat and submit it.");
    await form.getByLabel("Kind").selectOption("evaluation");
    await teacher.getByTestId(`assignment-version-${versionId}`).check();
    await form.locator("#assignment-threads-max").fill("2");
    await form.getByLabel("Accuracy at least (%)").fill("80");
    await teacher.getByTestId("assignment-save").click();
    await expect(teacher.getByTestId("assignment-title")).toHaveText("How accurate is the iris MLP?");
    await teacher.getByTestId("assignment-publish").click();
    await expect(teacher.getByTestId("assignment-row")).toContainText("Published");

    // The session: scheduled in the UI, with the assignment, started by hand.
    await teacher.goto(`${server.url}/classes/${classId}?tab=sessions`);
    const schedule = teacher.getByTestId("schedule-session-form");
    await schedule.getByLabel("Title").fill("Week 3");
    await teacher.getByTestId("session-lab").selectOption(labId);
    await schedule.getByLabel("Starts", { exact: true }).fill(localInput(new Date(Date.now() - 60_000)));
    await schedule.getByLabel("Ends", { exact: true }).fill(localInput(new Date(Date.now() + 3_600_000)));
    await teacher.getByTestId("session-assignment").selectOption({ label: "How accurate is the iris MLP?" });
    await schedule.getByRole("button", { name: /schedule session/i }).click();
    await teacher.getByRole("link", { name: "Week 3" }).click();
    await expect(teacher).toHaveURL(/\/sessions\//);
    await teacher.getByRole("button", { name: /start session/i }).click();
    await expect(teacher.getByTestId("session-status")).toHaveAttribute("data-status", "active");
    // The session's lab is now one of the instructor's: its machine is on their devices page, live.
    const fleetPage = await teacher.context().newPage();
    await fleetPage.goto(`${server.url}/devices`);
    await expect(fleetPage.getByTestId(`device-tile-${started.deviceId}`)).toBeVisible();
    await fleetPage.close();

    // The student checks in to the real agent's seat, runs the evaluation on it and submits.
    const ada = await signInAs(browser, server.url, "ada", adaPassword);
    await expect(ada).toHaveURL(/\/student$/);
    await ada.getByLabel("Seat code").fill(seatCode);
    await ada.getByRole("button", { name: /check in/i }).click();
    await expect(ada.getByTestId("my-seat")).toContainText("A1");
    await expect(teacher.getByTestId("seat-A1").getByTestId("seat-student")).toHaveText("Ada Lovelace");

    await ada.getByTestId("session-assignment-link").click();
    await expect(ada).toHaveURL(/\/student\/assignments\//);
    await expect(ada.getByTestId("assignment-instructions").locator("strong")).toHaveText("evaluation");
    await ada.locator("#run-threads").fill("3");
    await ada.getByTestId("run-start").click();
    await expect(ada.getByTestId("run-error")).toContainText("Threads must be a whole number from 1 to 2");
    await ada.locator("#run-threads").fill("1");
    await ada.getByTestId("run-start").click();
    const row = ada.getByTestId("run-row").first();
    await expect(row.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: RUN_MS });
    await expect(row.getByTestId("run-targets")).toContainText("Accuracy");
    const runId = (await row.getAttribute("data-run-id")) as string;
    await row.getByTestId("submit-run").click();
    await expect(ada.getByTestId("my-grade")).toHaveText("100");

    // A second student cannot read the first one's run, through the API itself.
    const alan = await signInAs(browser, server.url, "alan", alanPassword);
    await expect(alan).toHaveURL(/\/student$/);
    const peek = await trpcQuery(alan, server.url, "run.get", { id: runId });
    expect(peek.ok).toBe(false);
    expect(peek.body).toContain("NOT_FOUND");
    const list = await trpcQuery(alan, server.url, "run.list", {});
    expect(list.ok).toBe(true);
    expect(list.body).not.toContain(runId);

    // The grade is in the instructor's gradebook and in its CSV.
    await teacher.goto(`${server.url}/classes/${classId}?tab=gradebook`);
    const adaRow = teacher.getByTestId("gradebook-row").filter({ hasText: "Ada Lovelace" });
    await expect(adaRow.getByTestId("gradebook-cell")).toContainText("100");
    const download = teacher.waitForEvent("download");
    await teacher.getByTestId("gradebook-download-csv").click();
    const exported = readFileSync(await (await download).path(), "utf8");
    expect(exported).toMatch(/^username,name,/);
    expect(exported).toContain("ada,Ada Lovelace,100");

    await teacher.context().close();
    await ada.context().close();
    await alan.context().close();
  } finally {
    if (agent) await stopProcess(agent);
  }
});
