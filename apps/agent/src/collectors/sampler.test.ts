import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { telemetrySampleSchema } from "@labfleet/protocol";
import { copyFixture, FIXTURES, type Machine } from "../testing/fixtures.ts";
import { createSampler, ProcSampler } from "./sampler.ts";

const copies: string[] = [];
after(async () => {
  for (const c of copies) await rm(c, { recursive: true, force: true });
});

const TS = 1_764_000_000_000;

/** Moves every recorded second snapshot (`x.next`) over its first (`x`): one second later on that machine. */
async function advance(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await advance(p);
    else if (e.isFile() && e.name.endsWith(".next")) await rename(p, p.slice(0, -".next".length));
  }
}

async function copyOf(machine: Machine | "workstation"): Promise<string> {
  let root: string;
  if (machine === "workstation") {
    root = await mkdtemp(join(tmpdir(), "labfleet-fixture-workstation-"));
    await cp(join(FIXTURES, machine), root, { recursive: true, verbatimSymlinks: true });
  } else {
    root = await copyFixture(machine);
  }
  copies.push(root);
  return root;
}

/**
 * Samples a recorded machine across its two snapshots, exactly as the agent would live: the reference
 * reading at t = 0 s, the sample at t = 1 s (the recorded counters are one second apart).
 */
async function sampleAcrossSnapshots(machine: Machine, prepare?: (root: string) => Promise<void>) {
  const root = await copyOf(machine);
  await prepare?.(root);
  let mono = 0;
  const sampler = new ProcSampler({ root, now: () => TS, monotonicMs: () => mono, nvidiaSmi: null });
  await sampler.prime();
  await advance(root);
  mono = 1_000;
  const s = await sampler.sample();
  const parsed = telemetrySampleSchema.safeParse(s);
  assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues));
  return { s, root, sampler };
}

describe("ProcSampler on recorded machines", () => {
  test("vm (recorded): what this VM exposes, and null for all it lacks", async () => {
    const { s } = await sampleAcrossSnapshots("vm");
    const { diskUsedBytes, diskTotalBytes, ...rest } = s;
    // statfs of the copy's filesystem: real numbers, whatever this disk holds today.
    assert.ok(typeof diskTotalBytes === "number" && diskTotalBytes > 0);
    assert.ok(typeof diskUsedBytes === "number" && diskUsedBytes <= diskTotalBytes);
    assert.deepEqual(rest, {
      ts: TS,
      cpuLoadPct: 55,
      cpuPerCorePct: [21.9, 88.5],
      loadAvg1: 0.09,
      loadAvg5: 0.18,
      loadAvg15: 0.14,
      memTotalBytes: 25_276_510_208,
      memUsedBytes: 753_340_416,
      memAvailableBytes: 24_523_169_792,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
      cpuTempC: null,
      hottestTempC: null,
      hottestSensor: null,
      cpuFreqMHz: null,
      cpuFreqMaxMHz: null,
      throttling: null,
      throttleEventsTotal: null,
      fans: [],
      powerW: null,
      powerSource: null,
      gpus: [],
      // vda: 6191274 - 6109450 = 81824 sectors read, 15778928 - 15778920 = 8 written, × 512 B in 1 s.
      diskReadBps: 41_893_888,
      diskWriteBps: 4_096,
      // eth0 and the ifb devices did not move in that second (loopback is not counted).
      netRxBps: 0,
      netTxBps: 0,
      battery: null,
      uptimeS: 558.85,
    });
  });

  test("desktop: coretemp, nct6798 fans, RAPL package only, deduplicated throttle counters", async () => {
    const { s } = await sampleAcrossSnapshots("desktop");
    assert.deepEqual(s.cpuPerCorePct, [25, 50, 0, 100]);
    assert.equal(s.cpuLoadPct, 43.8); // 175 of 400 ticks
    assert.equal(s.cpuTempC, 52); // Package id 0
    // Core 1 at 53 °C beats the package (52), x86_pkg_temp (51), nvme (38.85) and the board.
    assert.equal(s.hottestTempC, 53);
    assert.equal(s.hottestSensor, "coretemp Core 1");
    assert.deepEqual([s.loadAvg1, s.loadAvg5, s.loadAvg15], [1.52, 1.21, 0.98]);
    // (4700000 + 4650000 + 800000 + 4750000) / 4 kHz.
    assert.equal(s.cpuFreqMHz, 3725);
    assert.equal(s.cpuFreqMaxMHz, 4900);
    // Cores 0 and 1 (each on two threads) 14 + 3, package 44 once: not 2×14 + 2×3 + 4×44.
    assert.equal(s.throttleEventsTotal, 61);
    assert.equal(s.throttling, true); // 56 -> 61
    // fan2 reads 0 and was never seen spinning: an empty header, not a stopped fan.
    assert.deepEqual(s.fans, [
      { label: "nct6798 fan1", rpm: 1250 },
      { label: "nct6798 fan3", rpm: 820 },
    ]);
    // package-0 used 32 000 000 µJ in 1 s; core, dram and psys are not added on top.
    assert.equal(s.powerW, 32);
    assert.equal(s.powerSource, "rapl");
    // nvme0n1 +2048/+4096 sectors, sda +0/+8; partitions, loop0 and dm-0 not counted again.
    assert.equal(s.diskReadBps, 1_048_576);
    assert.equal(s.diskWriteBps, 2_101_248);
    // enp3s0 +125000/+25000 bytes; lo left out; docker0 idle.
    assert.equal(s.netRxBps, 125_000);
    assert.equal(s.netTxBps, 25_000);
    assert.equal(s.swapTotalBytes, 2_147_479_552);
    assert.deepEqual(s.gpus, []);
    assert.equal(s.battery, null);
  });

  test("laptop: x86_pkg_temp zone, RAPL across a wrap-around, battery, i915 and amdgpu", async () => {
    const { s } = await sampleAcrossSnapshots("laptop");
    assert.deepEqual(s.cpuPerCorePct, [40, 9]);
    assert.equal(s.cpuLoadPct, 24.5);
    assert.equal(s.cpuTempC, 61);
    assert.equal(s.hottestTempC, 61);
    assert.equal(s.hottestSensor, "x86_pkg_temp");
    assert.equal(s.memUsedBytes, 5_463_834_624);
    // cpu2 is offline (online = 0-1): its stale 400 MHz is not averaged in.
    assert.equal(s.cpuFreqMHz, 1200);
    assert.equal(s.cpuFreqMaxMHz, 4200);
    // No thermal_throttle counters: the frequency rule decides, and 24.5 % load is not "busy".
    assert.equal(s.throttleEventsTotal, null);
    assert.equal(s.throttling, false);
    // 262143328850 - 262140000000 + 12671150 = 16 000 000 µJ in 1 s.
    assert.equal(s.powerW, 16);
    assert.equal(s.powerSource, "rapl");
    assert.deepEqual(s.battery, { percent: 76, charging: false, powerW: 9.88 });
    assert.deepEqual(s.gpus, [
      { index: 0, name: "i915", utilPct: null, memUsedBytes: null, memTotalBytes: null, tempC: null, powerW: null },
      {
        index: 1,
        name: "amdgpu",
        utilPct: 37,
        memUsedBytes: 1_073_741_824,
        memTotalBytes: 4_294_967_296,
        tempC: 52,
        powerW: 8,
      },
    ]);
    assert.deepEqual(s.fans, []);
    // nvme0n1 +400/+800 sectors, mmcblk0 +200/+0.
    assert.equal(s.diskReadBps, 307_200);
    assert.equal(s.diskWriteBps, 409_600);
    // wlp0s20f3 +50000/+10000; the USB adapter's counters reset (replugged) and are left out.
    assert.equal(s.netRxBps, 50_000);
    assert.equal(s.netTxBps, 10_000);
  });

  test("laptop without RAPL: the battery's discharge power stands in", async () => {
    const { s } = await sampleAcrossSnapshots("laptop", (root) =>
      rm(join(root, "sys/class/powercap"), { recursive: true }),
    );
    assert.equal(s.powerW, 9.88);
    assert.equal(s.powerSource, "battery");
  });

  test("laptop on the charger: battery power is not the machine's, so no power at all", async () => {
    const { s } = await sampleAcrossSnapshots("laptop", async (root) => {
      await rm(join(root, "sys/class/powercap"), { recursive: true });
      await writeFile(join(root, "sys/class/power_supply/BAT0/status"), "Charging\n");
    });
    assert.equal(s.powerW, null);
    assert.equal(s.powerSource, null);
    assert.deepEqual(s.battery, { percent: 76, charging: true, powerW: 9.88 });
  });

  test("laptop busy at a held-down clock: throttling by the frequency rule", async () => {
    const { s } = await sampleAcrossSnapshots("laptop", async (root) => {
      // 95 % busy on both cores over the second, at 2000 MHz of 4200 (< 60 %).
      await writeFile(
        join(root, "proc/stat.next"),
        "cpu  110190 150 45000 780010 1800 700 700 0 0 0\ncpu0 50095 100 20000 400005 1000 500 300 0 0 0\ncpu1 60095 50 25000 380005 800 200 400 0 0 0\n",
      );
      for (const n of [0, 1]) {
        await writeFile(join(root, `sys/devices/system/cpu/cpu${n}/cpufreq/scaling_cur_freq`), "2000000\n");
      }
    });
    assert.equal(s.cpuLoadPct, 95);
    assert.equal(s.cpuFreqMHz, 2000);
    assert.equal(s.throttling, true);
  });

  test("desktop with unmoved throttle counters: not throttling", async () => {
    const { s } = await sampleAcrossSnapshots("desktop", async (root) => {
      const cpu = join(root, "sys/devices/system/cpu");
      for (const n of [0, 1, 2, 3]) {
        await rm(join(cpu, `cpu${n}/thermal_throttle/core_throttle_count.next`));
        await rm(join(cpu, `cpu${n}/thermal_throttle/package_throttle_count.next`));
      }
    });
    assert.equal(s.throttleEventsTotal, 56);
    assert.equal(s.throttling, false);
  });

  test("an unchanged /proc/stat repeats the previous shares instead of inventing new ones", async () => {
    const { s: first, sampler } = await sampleAcrossSnapshots("desktop");
    const second = await sampler.sample(); // same files: no ticks elapsed
    assert.deepEqual(second.cpuPerCorePct, first.cpuPerCorePct);
    assert.equal(second.cpuLoadPct, first.cpuLoadPct);
  });

  test("a fan that stops after it was seen spinning is a real 0 rpm", async () => {
    const { root, sampler } = await sampleAcrossSnapshots("desktop");
    await writeFile(join(root, "sys/class/hwmon/hwmon2/fan1_input"), "0\n");
    const s = await sampler.sample();
    assert.deepEqual(s.fans, [
      { label: "nct6798 fan1", rpm: 0 },
      { label: "nct6798 fan3", rpm: 820 },
    ]);
  });

  test("a sensor chip that goes away is found again: the sample follows the machine", async () => {
    const { root, sampler } = await sampleAcrossSnapshots("desktop");
    await rm(join(root, "sys/class/hwmon/hwmon2"), { recursive: true });
    const gone = await sampler.sample();
    assert.deepEqual(gone.fans, []); // read failed: rediscovery is due
    await mkdir(join(root, "sys/class/hwmon/hwmon5"));
    await writeFile(join(root, "sys/class/hwmon/hwmon5/name"), "nct6798\n");
    await writeFile(join(root, "sys/class/hwmon/hwmon5/fan1_input"), "990\n");
    const back = await sampler.sample();
    assert.deepEqual(back.fans, [{ label: "nct6798 fan1", rpm: 990 }]);
  });
});

describe("NVIDIA through nvidia-smi (recorded output, replayed by a stand-in binary)", () => {
  test("the sample's GPU comes from the CSV, MiB as bytes", async () => {
    const ws = await copyOf("workstation");
    const vm = await copyOf("vm");
    const sampler = new ProcSampler({ root: vm, nvidiaSmi: join(ws, "bin/nvidia-smi"), initialWindowMs: 10 });
    const s = await sampler.sample();
    assert.deepEqual(s.gpus, [
      {
        index: 0,
        name: "NVIDIA GeForce RTX 4070",
        utilPct: 23,
        memUsedBytes: 1536 * 1024 * 1024,
        memTotalBytes: 12282 * 1024 * 1024,
        tempC: 47,
        powerW: 38.61,
      },
    ]);
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
    assert.ok(typeof s.diskTotalBytes === "number" && s.diskTotalBytes > 0);
  });
});
