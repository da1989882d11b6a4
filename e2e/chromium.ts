// The browser the end-to-end tests and the dashboard bench (apps/sim) both run.

// Debian's chromium by default (no browser download); CHROMIUM_PATH points elsewhere, or set it empty
// to use Playwright's own browser where one is installed.
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const chromiumLaunchOptions: { executablePath?: string; args: string[] } = {
  ...(executablePath ? { executablePath } : {}),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};
