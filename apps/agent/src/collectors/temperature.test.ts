import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fixtureRoot } from "../testing/fixtures.ts";
import { findCpuTempSource, parseMillidegrees, readCpuTempC } from "./temperature.ts";

const tmpRoots: string[] = [];
after(async () => {
  for (const r of tmpRoots) await rm(r, { recursive: true, force: true });
});

/** Builds a small sysfs tree from { "sys/class/hwmon/hwmon0/name": "k10temp\n", ... }. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "labfleet-sysfs-"));
  tmpRoots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe("CPU temperature on recorded trees", () => {
  test("vm: no hwmon, no thermal zone -> null, never 0", async () => {
    assert.equal(await readCpuTempC(fixtureRoot("vm")), null);
  });

  test("desktop: coretemp 'Package id 0' wins over a hotter core, the Super I/O chip and the thermal zones", async () => {
    const source = await findCpuTempSource(fixtureRoot("desktop"));
    assert.equal(source?.kind, "hwmon");
    assert.equal(source?.description, "coretemp Package id 0");
    assert.equal(await readCpuTempC(fixtureRoot("desktop")), 52);
  });

  test("laptop: no CPU hwmon chip; x86_pkg_temp wins over acpitz and iwlwifi zones", async () => {
    const source = await findCpuTempSource(fixtureRoot("laptop"));
    assert.equal(source?.kind, "thermal_zone");
    assert.equal(source?.description, "x86_pkg_temp");
    assert.equal(await readCpuTempC(fixtureRoot("laptop")), 61);
  });
});

describe("CPU temperature edge cases", () => {
  test("k10temp: Tdie is preferred to Tctl (Tctl may carry an offset)", async () => {
    const root = await tree({
      "sys/class/hwmon/hwmon0/name": "k10temp\n",
      "sys/class/hwmon/hwmon0/temp1_label": "Tctl\n",
      "sys/class/hwmon/hwmon0/temp1_input": "72250\n",
      "sys/class/hwmon/hwmon0/temp2_label": "Tdie\n",
      "sys/class/hwmon/hwmon0/temp2_input": "45250\n",
      "sys/class/hwmon/hwmon0/temp3_label": "Tccd1\n",
      "sys/class/hwmon/hwmon0/temp3_input": "47000\n",
    });
    assert.equal(await readCpuTempC(root), 45.25);
  });

  test("k10temp on a newer kernel: Tctl only", async () => {
    const root = await tree({
      "sys/class/hwmon/hwmon1/name": "k10temp\n",
      "sys/class/hwmon/hwmon1/temp1_label": "Tctl\n",
      "sys/class/hwmon/hwmon1/temp1_input": "41875\n",
    });
    assert.equal(await readCpuTempC(root), 41.875);
  });

  test("unlabelled cpu_thermal (Raspberry Pi): the hottest input", async () => {
    const root = await tree({
      "sys/class/hwmon/hwmon0/name": "cpu_thermal\n",
      "sys/class/hwmon/hwmon0/temp1_input": "48686\n",
    });
    assert.equal(await readCpuTempC(root), 48.686);
  });

  test("hwmon10 sorts after hwmon2 (numeric, not lexical)", async () => {
    const root = await tree({
      "sys/class/hwmon/hwmon10/name": "coretemp\n",
      "sys/class/hwmon/hwmon10/temp1_label": "Package id 0\n",
      "sys/class/hwmon/hwmon10/temp1_input": "60000\n",
      "sys/class/hwmon/hwmon2/name": "coretemp\n",
      "sys/class/hwmon/hwmon2/temp1_label": "Package id 0\n",
      "sys/class/hwmon/hwmon2/temp1_input": "40000\n",
    });
    assert.equal(await readCpuTempC(root), 40);
  });

  test("acpitz is the last resort; two of them: the hotter", async () => {
    const root = await tree({
      "sys/class/thermal/thermal_zone0/type": "acpitz\n",
      "sys/class/thermal/thermal_zone0/temp": "27800\n",
      "sys/class/thermal/thermal_zone1/type": "acpitz\n",
      "sys/class/thermal/thermal_zone1/temp": "29800\n",
    });
    assert.equal(await readCpuTempC(root), 29.8);
  });

  test("a sensor that is not wired up (0, -273 °C, garbage, unreadable) is null, never 0", async () => {
    const root = await tree({
      "sys/class/hwmon/hwmon0/name": "coretemp\n",
      "sys/class/hwmon/hwmon0/temp1_label": "Package id 0\n",
      "sys/class/hwmon/hwmon0/temp1_input": "0\n",
      "sys/class/thermal/thermal_zone0/type": "x86_pkg_temp\n",
      "sys/class/thermal/thermal_zone0/temp": "-273000\n",
    });
    assert.equal(await readCpuTempC(root), null);
    assert.equal(parseMillidegrees("abc\n"), null);
    assert.equal(parseMillidegrees(null), null);
    assert.equal(parseMillidegrees("45000\n"), 45);
  });
});
