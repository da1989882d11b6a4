import os from "node:os";
import path from "node:path";
import { chromiumLaunchOptions } from "@labfleet/e2e/chromium";
import { type Browser, type BrowserContext, chromium, type Page } from "@playwright/test";

/** The same browser the end-to-end tests use: Debian's Chromium unless CHROMIUM_PATH says otherwise. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ headless: true, ...chromiumLaunchOptions });
}

/** A context that carries the session cookie of an API sign-in, so no login form (or its rate limit) is needed. */
export async function signedInContext(browser: Browser, url: string, cookieHeader: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies(
    cookieHeader
      .split("; ")
      .filter(Boolean)
      .map((pair) => {
        const i = pair.indexOf("=");
        return { name: pair.slice(0, i), value: pair.slice(i + 1), url };
      }),
  );
  return context;
}

declare global {
  interface Window {
    __firstDataMs?: number;
  }
}

/**
 * Navigates and returns the time from navigation start to the first moment an element matching `selector`
 * is in the document, read in the page (a MutationObserver installed before any script of the page runs).
 */
export async function timeToFirstData(
  page: Page,
  url: string,
  selector: string,
  timeoutMs = 30_000,
): Promise<FirstData> {
  // A string, not a function: tsx would wrap a function's inner helpers in `__name`, which the page lacks.
  await page.addInitScript(`(() => {
    const sel = ${JSON.stringify(selector)};
    const observer = new MutationObserver(() => {
      if (window.__firstDataMs === undefined && document.querySelector(sel)) {
        window.__firstDataMs = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  })();`);
  await page.goto(url, { waitUntil: "commit" });
  try {
    await page.waitForFunction(() => window.__firstDataMs !== undefined, undefined, {
      timeout: timeoutMs,
      polling: 50,
    });
  } catch (e) {
    const shot = path.join(os.tmpdir(), `bench-first-data-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    throw new Error(`no "${selector}" on ${page.url()} within ${timeoutMs} ms (screenshot: ${shot})`, { cause: e });
  }
  return page.evaluate(`(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return { firstDataMs: window.__firstDataMs, domReadyMs: nav ? nav.domContentLoadedEventEnd : null };
  })()`) as Promise<FirstData>;
}

export interface FirstData {
  firstDataMs: number;
  /** When the HTML and scripts were in (DOMContentLoaded): the part of first data that is page load, not data. */
  domReadyMs: number | null;
}

/**
 * The share of wall time the renderer's main thread spent running tasks, from the DevTools Protocol's
 * TaskDuration counter, over `seconds` while updates stream in.
 */
export async function mainThreadBusyShare(page: Page, seconds: number): Promise<{ busy: number; updates: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const read = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return metrics.find((m) => m.name === "TaskDuration")?.value ?? 0;
  };
  // Counts DOM mutations, as a sanity check that updates did stream during the window.
  await page.evaluate(`(() => {
    window.__mutations = 0;
    new MutationObserver((records) => {
      window.__mutations += records.length;
    }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  })()`);
  const t0 = performance.now();
  const busy0 = await read();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const busy1 = await read();
  const wallS = (performance.now() - t0) / 1000;
  const updates = await page.evaluate(() => (window as unknown as { __mutations: number }).__mutations);
  await cdp.detach();
  return { busy: (busy1 - busy0) / wallS, updates };
}
