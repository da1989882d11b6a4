// Helpers for the model, deployment and run specs: steps a person takes in the dashboard before the part a
// spec is about (a lab, a token, devices placed in seats).
import { expect, type Page } from "@playwright/test";

/** Creates a lab from the Labs page and returns its id (from the URL it opens). */
export async function createLab(page: Page, name: string, rows: number, cols: number): Promise<string> {
  await page.getByRole("link", { name: /^labs$/i }).click();
  await expect(page).toHaveURL(/\/labs$/);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/rows/i).fill(String(rows));
  await page.getByLabel(/columns/i).fill(String(cols));
  await page.getByRole("button", { name: /create lab/i }).click();
  await expect(page).toHaveURL(/\/labs\/[^/]+$/);
  await expect(page.getByTestId("lab-name")).toHaveText(name);
  const labId = new URL(page.url()).pathname.split("/").pop() ?? "";
  expect(labId).not.toBe("");
  return labId;
}

/** Creates an enrollment token on the Tokens page and returns it, as a person would copy it. */
export async function createToken(page: Page, label: string): Promise<string> {
  await page.getByRole("link", { name: /enrollment tokens/i }).click();
  await expect(page).toHaveURL(/\/tokens/);
  await page.getByLabel(/label/i).fill(label);
  await page.getByRole("button", { name: /create token/i }).click();
  const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
  expect(token).toMatch(/^lfe_/);
  return token;
}

/** Places a device on a seat from the lab page's panel and waits until the seat shows it live. */
export async function placeDevice(page: Page, labId: string, deviceId: string, seat: string): Promise<void> {
  await page.goto(new URL(`/labs/${labId}`, page.url()).toString());
  await page.getByTestId(`bring-${deviceId}`).selectOption(seat);
  await expect(page.getByTestId(`seat-${seat}`)).toHaveAttribute("data-device-id", deviceId);
  await expect(page.getByTestId(`seat-${seat}`)).toHaveAttribute("data-state", /^(online|busy|hot|throttling)$/);
}

/** Picks the first option of a <select> whose text contains `text`, without knowing its value. */
export async function selectOptionContaining(page: Page, testId: string, text: string | RegExp): Promise<string> {
  const option = page.getByTestId(testId).locator("option", { hasText: text }).first();
  await expect(option).toBeAttached();
  const value = (await option.getAttribute("value")) ?? "";
  expect(value, `an option containing ${String(text)}`).not.toBe("");
  await page.getByTestId(testId).selectOption(value);
  return value;
}
