import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fixtureRoot } from "../testing/fixtures.ts";
import {
  busyPct,
  parseMeminfo,
  parseProcStat,
  readLoadAvg,
  readLoadAvg1,
  readMeminfo,
  readProcStat,
  readUptimeS,
} from "./proc.ts";

describe("/proc/stat", () => {
  test("vm (recorded): aggregate and per-core counters", async () => {
    const stat = await readProcStat(fixtureRoot("vm"));
    // cpu  6773 0 4408 99007 298 0 106 14 0 0 -> idle = 99007 + 298, total excludes guest columns.
    assert.deepEqual(stat.all, { busy: 11301, total: 110606 });
    assert.deepEqual([...stat.cores.keys()], [0, 1]);
    assert.deepEqual(stat.cores.get(0), { busy: 4939, total: 55230 });
    assert.deepEqual(stat.cores.get(1), { busy: 6359, total: 55372 });
  });

  test("vm (recorded): busy % between the two snapshots, computed by hand", async () => {
    const a = await readProcStat(fixtureRoot("vm"));
    const b = parseProcStat(await readFile(join(fixtureRoot("vm"), "proc/stat.next"), "utf8"));
    assert.equal(busyPct(a.all, b.all), 55); // 115 of 209 ticks = 55.02 %
    assert.equal(busyPct(a.cores.get(0), b.cores.get(0) ?? a.all), 21.9); // 23 of 105
    assert.equal(busyPct(a.cores.get(1), b.cores.get(1) ?? a.all), 88.5); // 92 of 104
  });

  test("guest time is not counted twice; iowait is idle; irq and softirq are busy", async () => {
    const d0 = await readProcStat(fixtureRoot("desktop"));
    const d1 = parseProcStat(await readFile(join(fixtureRoot("desktop"), "proc/stat.next"), "utf8"));
    // cpu1 ran 20 ticks of guest inside its 40 ticks of user: 50 %, not 58.3 %.
    assert.equal(busyPct(d0.cores.get(1), d1.cores.get(1) ?? d0.all), 50);
    const l0 = await readProcStat(fixtureRoot("laptop"));
    const l1 = parseProcStat(await readFile(join(fixtureRoot("laptop"), "proc/stat.next"), "utf8"));
    assert.equal(busyPct(l0.cores.get(0), l1.cores.get(0) ?? l0.all), 40); // 10 ticks of iowait are idle
    assert.equal(busyPct(l0.cores.get(1), l1.cores.get(1) ?? l0.all), 9); // irq + softirq count as busy
  });

  test("no elapsed time is null, not 0; a counter that went backwards clamps to 0", () => {
    assert.equal(busyPct({ busy: 10, total: 100 }, { busy: 10, total: 100 }), null);
    assert.equal(busyPct({ busy: 50, total: 100 }, { busy: 40, total: 200 }), 0);
    assert.equal(busyPct(undefined, { busy: 25, total: 100 }), 25);
  });

  test("offline cores leave gaps in the numbering", () => {
    const stat = parseProcStat(
      "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu2 5 0 5 40 0 0 0 0 0 0\nintr 1\n",
    );
    assert.deepEqual([...stat.cores.keys()], [0, 2]);
  });

  test("a file without the aggregate line is an error", () => {
    assert.throws(() => parseProcStat("intr 1 2 3\n"), /no aggregate cpu line/);
  });
});

describe("/proc/meminfo", () => {
  test("vm (recorded)", async () => {
    assert.deepEqual(await readMeminfo(fixtureRoot("vm")), {
      totalBytes: 25_276_510_208, // 24684092 kB
      availableBytes: 24_523_169_792, // 23948408 kB
      usedBytes: 753_340_416,
      // The VM has no swap: a real 0, not unknown.
      swapTotalBytes: 0,
      swapUsedBytes: 0,
    });
  });

  test("desktop and laptop", async () => {
    assert.deepEqual(await readMeminfo(fixtureRoot("desktop")), {
      totalBytes: 16_694_706_176,
      availableBytes: 12_641_974_272,
      usedBytes: 4_052_731_904,
      swapTotalBytes: 2_147_479_552, // 2097148 kB, all free
      swapUsedBytes: 0,
    });
    assert.deepEqual(await readMeminfo(fixtureRoot("laptop")), {
      totalBytes: 8_181_858_304,
      availableBytes: 2_718_023_680,
      usedBytes: 5_463_834_624,
      swapTotalBytes: 8_589_930_496, // 8388604 kB
      swapUsedBytes: 1_421_930_496, // (8388604 - 7000000) kB
    });
  });

  test("kernels without MemAvailable: free + buffers + cached", () => {
    const m = parseMeminfo("MemTotal:  1000 kB\nMemFree:  100 kB\nBuffers:  50 kB\nCached:  250 kB\n");
    // Without SwapTotal the kernel said nothing about swap: unknown, not 0.
    assert.deepEqual(m, {
      totalBytes: 1_024_000,
      availableBytes: 409_600,
      usedBytes: 614_400,
      swapTotalBytes: null,
      swapUsedBytes: null,
    });
  });

  test("no MemTotal is an error", () => {
    assert.throws(() => parseMeminfo("MemFree: 1 kB\n"), /MemTotal/);
  });
});

describe("/proc/loadavg and /proc/uptime", () => {
  test("each fixture", async () => {
    assert.equal(await readLoadAvg1(fixtureRoot("vm")), 0.09);
    assert.equal(await readUptimeS(fixtureRoot("vm")), 558.85);
    assert.equal(await readLoadAvg1(fixtureRoot("desktop")), 1.52);
    assert.equal(await readUptimeS(fixtureRoot("desktop")), 86400.55);
    assert.equal(await readLoadAvg1(fixtureRoot("laptop")), 0.35);
    assert.equal(await readUptimeS(fixtureRoot("laptop")), 3600);
  });

  test("all three load averages", async () => {
    assert.deepEqual(await readLoadAvg(fixtureRoot("vm")), [0.09, 0.18, 0.14]);
    assert.deepEqual(await readLoadAvg(fixtureRoot("desktop")), [1.52, 1.21, 0.98]);
    assert.deepEqual(await readLoadAvg(fixtureRoot("laptop")), [0.35, 0.42, 0.5]);
  });

  test("missing files are null, not 0", async () => {
    assert.deepEqual(await readLoadAvg("/nonexistent-root"), [null, null, null]);
    assert.equal(await readLoadAvg1("/nonexistent-root"), null);
    assert.equal(await readUptimeS("/nonexistent-root"), null);
  });
});
