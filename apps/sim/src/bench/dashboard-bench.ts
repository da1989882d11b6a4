// `npm run bench:dashboard`: the dashboard under a simulated fleet of 1,000 devices reporting every second.
// Measures first data on the fleet page and on a 60-seat room map, the browser's main-thread busy share while
// updates stream, and a month-long history query over HTTP. Loopback only; bounded to a few minutes.
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@labfleet/db/test-db";
import { startBuiltServer } from "@labfleet/e2e/built-server";
import pino from "pino";
import { startSimulator } from "../simulator.ts";
import { launchChromium, mainThreadBusyShare, signedInContext, timeToFirstData } from "./browser.ts";
import { cpuWindow, topWindow } from "./cpu.ts";
import { insertMonthOfRollups } from "./rollups.ts";
import { TrpcHttp } from "./trpc-http.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const BUSY_WINDOW_S = Number(process.env.BENCH_BUSY_S ?? 20);
const HISTORY_RUNS = 20;
/** The whole bench is killed after this, whatever state it is in. */
const HARD_LIMIT_MS = 8 * 60_000;
const log = pino({ name: "bench", level: process.env.LOG_LEVEL ?? "warn" });

const TARGETS = { firstDataMs: 1500, busyShare: 0.25, historyMs: 200 };

/** Seats A1..F10 of a 6×10 room. */
const seatLabels = (rows: number, cols: number) =>
  Array.from({ length: rows * cols }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / cols))}${(i % cols) + 1}`);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean;
}

/** What to undo, newest first; run on success, on failure and when the hard limit strikes. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const c = cleanups.shift();
    await c?.().catch((e: unknown) => log.warn({ err: String(e) }, "cleanup failed"));
  }
}

const started = performance.now();
/** Progress on stderr, so that a slow step shows where the time goes. */
const step = (what: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

async function main(): Promise<Row[]> {
  const rows: Row[] = [];
  try {
    step("starting a database and the built control plane");
    const db = await createTestDatabase();
    cleanups.unshift(() => db.close());
    // On the bench's database, so that the bench can write roll-ups into it; its banner would mix with the table.
    const server = await startBuiltServer({
      repoRoot,
      adminEmail: "bench@example.test",
      adminPassword: "correct-horse-battery-bench",
      databaseUrl: db.databaseUrl,
      dataDirPrefix: "labfleet-bench-",
      stdout: "ignore",
    });
    cleanups.unshift(() => server.stop());
    const api = await TrpcHttp.signIn(server.url, server.adminEmail, server.adminPassword);

    step(`enrolling ${DEVICES} simulated devices`);
    // The fleet: 1,000 simulated devices (a token allows at most 1,000 uses).
    const { token } = await api.mutate<{ token: string }>("enrollmentToken.create", {
      label: "bench",
      expiresInHours: 1,
      maxUses: Math.min(DEVICES, 1000),
    });
    const t0 = Date.now();
    const sim = await startSimulator({
      url: server.url,
      token,
      devices: DEVICES,
      // A fresh database each run: the credentials are of no use afterwards.
      stateFile: path.join(os.tmpdir(), `labfleet-bench-${process.pid}.json`),
      // Every device reports each second for the whole bench, as it does while the fleet page is open; without
      // this only the devices of the page being measured would (the server slows unwatched ones down).
      intervalMs: 1000,
      log,
    });
    cleanups.unshift(async () => {
      await sim.stop();
      rmSync(sim.stateFile, { force: true });
    });
    await waitFor(
      "every simulated device connected",
      () => sim.devices.filter((d) => d.connected).length >= DEVICES * 0.95,
      90_000,
    );
    const enrollS = (Date.now() - t0) / 1000;

    step(`all connected after ${enrollS.toFixed(1)} s; placing 60 in a 6×10 room`);
    // A 6×10 room with 60 of them placed.
    const lab = await api.mutate<{ id: string }>("lab.create", { name: "Bench room", rows: 6, cols: 10 });
    const seats = seatLabels(6, 10);
    for (let i = 0; i < seats.length; i++) {
      await api.mutate("lab.placeDevice", { labId: lab.id, seatLabel: seats[i], deviceId: sim.devices[i]?.deviceId });
    }

    step("inserting a month of roll-ups and timing device.history");
    // A month of roll-ups for one device, then the history query as the device page makes it.
    const historyDevice = sim.devices[0]?.deviceId as string;
    const inserted = await insertMonthOfRollups(db.pool, historyDevice, Date.now());
    const historyMs: Record<string, number[]> = {};
    const endHistoryCpu = cpuWindow(server.child.pid ?? 0);
    const endHistoryTop = topWindow();
    for (const range of ["hour", "day", "week", "month"] as const) {
      await api.query("device.history", { id: historyDevice, range }); // warm-up: plans, pools, JIT
      const times: number[] = [];
      for (let i = 0; i < HISTORY_RUNS; i++) {
        const s = performance.now();
        const h = await api.query<{ points: unknown[] }>("device.history", { id: historyDevice, range });
        times.push(performance.now() - s);
        if (range === "month" && i === 0 && h.points.length < 300)
          throw new Error(`month history has ${h.points.length} points`);
      }
      historyMs[range] = times;
    }
    const historyCpu = { ...endHistoryCpu(), top: endHistoryTop() };

    step("launching Chromium");
    const browser = await launchChromium();
    cleanups.unshift(() => browser.close());

    const cpu: ({ name: string; top: ReturnType<ReturnType<typeof topWindow>> } & ReturnType<
      ReturnType<typeof cpuWindow>
    >)[] = [{ name: "history queries", ...historyCpu }];
    const measurePage = async (name: string, url: string, selector: string) => {
      step(`measuring ${name}`);
      const context = await signedInContext(browser, server.url, api.cookieHeader);
      const page = await context.newPage();
      const first = await timeToFirstData(page, url, selector);
      // Let the subscriptions settle (the server tells every agent to report each second), then measure.
      await new Promise((r) => setTimeout(r, 3000));
      const endCpu = cpuWindow(server.child.pid ?? 0);
      const endTop = topWindow();
      const { busy, updates } = await mainThreadBusyShare(page, BUSY_WINDOW_S);
      cpu.push({ name, ...endCpu(), top: endTop() });
      await context.close();
      const dom = first.domReadyMs === null ? "" : ` (DOM ready at ${first.domReadyMs.toFixed(0)} ms)`;
      rows.push({
        what: `${name}: navigation → first data`,
        value: `${first.firstDataMs.toFixed(0)} ms${dom}`,
        target: `≤ ${TARGETS.firstDataMs} ms`,
        ok: first.firstDataMs <= TARGETS.firstDataMs,
      });
      rows.push({
        what: `${name}: main thread busy (${BUSY_WINDOW_S} s, ${updates} DOM mutations)`,
        value: `${(busy * 100).toFixed(1)} %`,
        target: `≤ ${TARGETS.busyShare * 100} %`,
        ok: busy <= TARGETS.busyShare,
      });
    };

    await measurePage(
      "room map (60 seats)",
      `${server.url}/labs/${lab.id}`,
      process.env.BENCH_ROOM_SELECTOR ?? '[data-testid^="seat-"][data-temp]:not([data-temp=""])',
    );
    await measurePage("fleet page", `${server.url}/devices`, '[data-testid="device-cpu"]:not([data-value=""])');

    for (const [range, times] of Object.entries(historyMs)) {
      const p50 = percentile(times, 50);
      const p95 = percentile(times, 95);
      rows.push({
        what: `device.history ${range} over HTTP (${HISTORY_RUNS} runs)`,
        value: `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${Math.max(...times).toFixed(0)} ms`,
        target: `≤ ${TARGETS.historyMs} ms`,
        ok: p95 <= TARGETS.historyMs,
      });
    }
    const reporting = sim.devices.filter((d) => d.connected && d.intervalMs === 1000).length;
    const sent = sim.devices.reduce((n, d) => n + d.stats.sent, 0);
    process.stdout.write(
      `\nfleet: ${DEVICES} simulated devices enrolled and connected in ${enrollS.toFixed(1)} s; ` +
        `${reporting} reporting every second at the end; ${sent} samples sent; ${inserted} roll-up rows inserted\n`,
    );
    const c = (v: number | null, digits = 2) => (v === null ? "n/a" : v.toFixed(digits));
    for (const w of cpu) {
      process.stdout.write(
        `cpu during ${w.name}: control plane ${c(w.serverCores)} cores, simulator ${c(w.simCores)} cores, ` +
          `machine ${w.machineBusy === null ? "n/a" : `${(w.machineBusy * 100).toFixed(0)} %`} busy (${os.cpus().length} cores); ` +
          `busiest: ${w.top.map((t) => `${t.command} ${t.cores.toFixed(2)}`).join(", ")}\n`,
      );
    }
    return rows;
  } finally {
    step("cleaning up");
    await cleanUp();
  }
}

function abort(why: string, code: number): void {
  process.stderr.write(`bench: ${why}; stopping\n`);
  // Never leave a control plane or a database behind; give the cleanup 20 s at most.
  const force = setTimeout(() => process.exit(code), 20_000);
  void cleanUp().finally(() => {
    clearTimeout(force);
    process.exit(code);
  });
}
const killer = setTimeout(() => abort(`over the hard limit of ${HARD_LIMIT_MS / 1000} s`, 2), HARD_LIMIT_MS);
killer.unref();
process.once("SIGINT", () => abort("interrupted", 130));
process.once("SIGTERM", () => abort("terminated", 143));

main().then(
  (rows) => {
    const w = Math.max(...rows.map((r) => r.what.length));
    const v = Math.max(...rows.map((r) => r.value.length));
    process.stdout.write(`\n| ${"measure".padEnd(w)} | ${"value".padEnd(v)} | target | met |\n`);
    process.stdout.write(`|${"-".repeat(w + 2)}|${"-".repeat(v + 2)}|---|---|\n`);
    for (const r of rows) {
      process.stdout.write(`| ${r.what.padEnd(w)} | ${r.value.padEnd(v)} | ${r.target} | ${r.ok ? "yes" : "NO"} |\n`);
    }
    process.stdout.write(
      `\n${new Date().toISOString()} · node ${process.version} · ${rows.filter((r) => !r.ok).length} target(s) missed\n`,
    );
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
