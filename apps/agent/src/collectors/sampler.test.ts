import assert from "node:assert/strict";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { telemetrySampleSchema } from "@labfleet/protocol";
import { copyFixture, type Machine } from "../testing/fixtures.ts";
import { createSampler, ProcSampler } from "./sampler.ts";

const copies: string[] = [];
after(async () => {
  for (const c of copies) await rm(c, { recursive: true, force: true });
});

const TS = 1_764_000_000_000;

/** Samples a recorded machine over its two /proc/stat snapshots, exactly as the agent would live. */
async function sampleAcrossSnapshots(machine: Machine) {
  const root = await copyFixture(machine);
  copies.push(root);
  const sampler = new ProcSampler({ root, now: () => TS });
  await sampler.prime();
  await rename(join(root, "proc/stat.next"), join(root, "proc/stat"));
  return sampler.sample();
}

describe("ProcSampler on recorded machines", () => {
  test("vm (recorded): exact per-core shares, no temperature sensor", async () => {
    const s = await sampleAcrossSnapshots("vm");
    assert.deepEqual(s, {
      ts: TS,
      cpuLoadPct: 55,
      cpuPerCorePct: [21.9, 88.5],
      loadAvg1: 0.09,
      memTotalBytes: 25_276_510_208,
      memUsedBytes: 753_340_416,
      memAvailableBytes: 24_523_169_792,
      cpuTempC: null,
      uptimeS: 558.85,
    });
    assert.ok(telemetrySampleSchema.safeParse(s).success);
  });

  test("desktop: 25/50/0/100 % per core, 43.8 % overall, coretemp package", async () => {
    const s = await sampleAcrossSnapshots("desktop");
    assert.deepEqual(s.cpuPerCorePct, [25, 50, 0, 100]);
    assert.equal(s.cpuLoadPct, 43.8); // 175 of 400 ticks
    assert.equal(s.cpuTempC, 52);
    assert.equal(s.loadAvg1, 1.52);
    assert.ok(telemetrySampleSchema.safeParse(s).success);
  });

  test("laptop: 40/9 % per core, 24.5 % overall, x86_pkg_temp zone", async () => {
    const s = await sampleAcrossSnapshots("laptop");
    assert.deepEqual(s.cpuPerCorePct, [40, 9]);
    assert.equal(s.cpuLoadPct, 24.5);
    assert.equal(s.cpuTempC, 61);
    assert.equal(s.memUsedBytes, 5_463_834_624);
    assert.ok(telemetrySampleSchema.safeParse(s).success);
  });

  test("an unchanged /proc/stat repeats the previous shares instead of inventing new ones", async () => {
    const root = await copyFixture("desktop");
    copies.push(root);
    const sampler = new ProcSampler({ root, now: () => TS });
    await sampler.prime();
    await rename(join(root, "proc/stat.next"), join(root, "proc/stat"));
    const first = await sampler.sample();
    const second = await sampler.sample(); // same file: no ticks elapsed
    assert.deepEqual(second.cpuPerCorePct, first.cpuPerCorePct);
    assert.equal(second.cpuLoadPct, first.cpuLoadPct);
  });
});

describe("the sampler on this machine", () => {
  test("the first sample measures over a short initial window and passes the schema", {
    skip: process.platform !== "linux",
  }, async () => {
    const sampler = createSampler({ initialWindowMs: 50 });
    assert.equal(sampler.kind, "procfs");
    const started = performance.now();
    const s = await sampler.sample();
    assert.ok(performance.now() - started >= 45, "waited for the initial window");
    const parsed = telemetrySampleSchema.safeParse(s);
    assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues));
    assert.ok(s.cpuPerCorePct.length > 0);
  });
});
