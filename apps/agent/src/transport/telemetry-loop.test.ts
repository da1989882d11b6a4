import assert from "node:assert/strict";
import { test } from "node:test";
import { captureLogger } from "../testing/capture-logger.ts";
import { TelemetryLoop } from "./telemetry-loop.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("ticks at once on start, then every interval; stop ends it", async () => {
  const { log } = captureLogger();
  const at: number[] = [];
  const loop = new TelemetryLoop(50, async () => void at.push(Date.now()), log);
  loop.start();
  await sleep(180);
  loop.stop();
  const n = at.length;
  assert.ok(n >= 3 && n <= 5, `${n} ticks in 180 ms at 50 ms`);
  await sleep(120);
  assert.equal(at.length, n, "no tick after stop");
});

test("a slow tick makes the next ones skip instead of piling up", async () => {
  const { log, lines } = captureLogger();
  let running = 0;
  let maxRunning = 0;
  const loop = new TelemetryLoop(
    20,
    async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await sleep(90);
      running -= 1;
    },
    log,
  );
  loop.start();
  await sleep(150);
  loop.stop();
  assert.equal(maxRunning, 1);
  assert.ok(lines.some((l) => l.msg === "the previous sample is still being taken; skipped one tick"));
});

test("a shorter interval applies at once, not after the old wait", async () => {
  const { log } = captureLogger();
  let ticks = 0;
  const loop = new TelemetryLoop(10_000, async () => void ticks++, log);
  loop.start();
  await sleep(20);
  assert.equal(ticks, 1);
  loop.setIntervalMs(30);
  await sleep(100);
  loop.stop();
  assert.ok(ticks >= 3, `${ticks} ticks`);
});
