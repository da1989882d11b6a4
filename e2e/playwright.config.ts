import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./chromium.ts";

export default defineConfig({
  testDir: "./tests",
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: "list",
  outputDir: "../test-results",
  use: {
    headless: true,
    trace: "off",
    screenshot: "only-on-failure",
    launchOptions: chromiumLaunchOptions,
  },
});
