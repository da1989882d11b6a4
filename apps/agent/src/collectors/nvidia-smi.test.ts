import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { FIXTURES } from "../testing/fixtures.ts";
import { findNvidiaSmi, NvidiaSampler } from "./nvidia-smi.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A stand-in nvidia-smi that counts its runs and replays the recorded sample CSV (or fails). */
async function countingSmi(fail = false): Promise<{ bin: string; runs: () => Promise<number> }> {
  const dir = await mkdtemp(join(tmpdir(), "labfleet-smi-"));
  dirs.push(dir);
  const bin = join(dir, "nvidia-smi");
  const csv = join(FIXTURES, "workstation/nvidia-smi/sample.csv");
  await writeFile(bin, `#!/bin/sh\necho run >> "${dir}/runs"\n${fail ? "exit 9" : `cat "${csv}"`}\n`);
  await chmod(bin, 0o755);
  const runs = async () =>
    (await readFile(join(dir, "runs"), "utf8").catch(() => "")).split("\n").filter(Boolean).length;
  return { bin, runs };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("condition not met within 2 s");
}

describe("NvidiaSampler", () => {
  test("runs nvidia-smi at most every 5 s and serves the last answer in between", async () => {
    const { bin, runs } = await countingSmi();
    let now = 0;
    const smi = new NvidiaSampler(bin, () => now);
    const first = await smi.read(); // the very first read waits for the answer
    assert.equal(first[0]?.name, "NVIDIA GeForce RTX 4070");
    assert.equal(await runs(), 1);
    now = 4_999;
    assert.deepEqual(await smi.read(), first);
    assert.equal(await runs(), 1);
    now = 5_000;
    assert.deepEqual(await smi.read(), first); // refreshed in the background
    await until(async () => (await runs()) === 2);
  });

  test("a failing nvidia-smi gives no GPUs and is retried only after a minute", async () => {
    const { bin, runs } = await countingSmi(true);
    let now = 0;
    const smi = new NvidiaSampler(bin, () => now);
    assert.deepEqual(await smi.read(), []);
    now = 30_000;
    assert.deepEqual(await smi.read(), []);
    assert.equal(await runs(), 1);
    now = 60_000;
    await smi.read();
    await until(async () => (await runs()) === 2);
  });

  test("found on PATH only where the binary exists", () => {
    assert.equal(
      findNvidiaSmi(`/nonexistent:${join(FIXTURES, "workstation/bin")}`),
      join(FIXTURES, "workstation/bin/nvidia-smi"),
    );
    assert.equal(findNvidiaSmi("/nonexistent"), null);
  });
});
