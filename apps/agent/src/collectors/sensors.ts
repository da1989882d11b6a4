import { join } from "node:path";
import { listDir, numbered, readInt, readTrimmed } from "./sysfs.ts";
import { parseMillidegrees } from "./temperature.ts";

/**
 * hwmon and thermal-zone sensors, found once and re-read every sample. Discovery lists directories and
 * reads labels (dozens of files); a sample reads only the value files.
 */

/** hwmon chips that belong to a GPU: their power is the GPU's, not the machine's. */
export const GPU_HWMON_NAMES = new Set(["amdgpu", "radeon", "nouveau", "i915", "xe"]);

export interface LabelledFile {
  path: string;
  /** e.g. "coretemp Package id 0", "nvme Composite", "acpitz". */
  label: string;
}

export interface SensorFiles {
  temps: LabelledFile[];
  fans: LabelledFile[];
  /** A machine (not GPU) hwmon power sensor in µW, if any. */
  power: string | null;
}

const clip = (s: string) => s.slice(0, 64);

export async function discoverSensors(root: string): Promise<SensorFiles> {
  const temps: LabelledFile[] = [];
  const fans: LabelledFile[] = [];
  let power: string | null = null;
  const hwmon = join(root, "sys/class/hwmon");
  for (const entry of await numbered(hwmon, "hwmon")) {
    const dir = join(hwmon, entry);
    const name = (await readTrimmed(join(dir, "name"))) ?? (await readTrimmed(join(dir, "device/name"))) ?? entry;
    const files = (await listDir(dir)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    for (const f of files) {
      const t = /^temp(\d+)_input$/.exec(f);
      if (t) {
        const label = await readTrimmed(join(dir, `temp${t[1]}_label`));
        temps.push({ path: join(dir, f), label: clip(`${name} ${label ?? `temp${t[1]}`}`) });
        continue;
      }
      const fan = /^fan(\d+)_input$/.exec(f);
      if (fan) {
        const label = await readTrimmed(join(dir, `fan${fan[1]}_label`));
        fans.push({ path: join(dir, f), label: clip(label ? `${name} ${label}` : `${name} fan${fan[1]}`) });
      }
    }
    if (!power && !GPU_HWMON_NAMES.has(name)) {
      // The averaged reading is steadier than the instantaneous one; chips expose one or the other.
      const p = files.find((f) => /^power1_average$/.test(f)) ?? files.find((f) => /^power1_input$/.test(f));
      if (p) power = join(dir, p);
    }
  }
  const thermal = join(root, "sys/class/thermal");
  for (const zone of await numbered(thermal, "thermal_zone")) {
    const type = await readTrimmed(join(thermal, zone, "type"));
    temps.push({ path: join(thermal, zone, "temp"), label: clip(type ?? zone) });
  }
  return { temps, fans, power };
}

export interface SensorReading {
  hottestTempC: number | null;
  hottestSensor: string | null;
  fans: { label: string; rpm: number }[];
  /** Watts from the hwmon power sensor; null without one. */
  hwmonPowerW: number | null;
  /** True when a file found at discovery could not be read: the caller discovers again next time. */
  vanished: boolean;
}

/**
 * Reads the sensors. A fan header with nothing attached reads 0 rpm forever, so a fan is reported only
 * once it has been seen spinning (`spinning` remembers which, across samples); after that a stopped fan
 * (zero-rpm mode) is a real 0.
 */
export async function readSensors(files: SensorFiles, spinning: Set<string>): Promise<SensorReading> {
  let vanished = false;
  const [temps, fans, power] = await Promise.all([
    Promise.all(
      // Some drivers fail a read now and then (ENODATA while a sensor is asleep): one sensor without a value
      // is no reason to search again; all of them silent is (handled below).
      files.temps.map(async (t) => ({ label: t.label, c: parseMillidegrees(await readTrimmed(t.path)) })),
    ),
    Promise.all(
      files.fans.map(async (f) => {
        const rpm = await readInt(f.path);
        if (rpm === null) vanished = true;
        return { label: f.label, path: f.path, rpm };
      }),
    ),
    files.power ? readInt(files.power) : Promise.resolve(null),
  ]);
  if (files.power && power === null) vanished = true;
  let hottest: { label: string; c: number } | null = null;
  for (const t of temps) if (t.c !== null && (!hottest || t.c > hottest.c)) hottest = { label: t.label, c: t.c };
  const fanOut: { label: string; rpm: number }[] = [];
  for (const f of fans) {
    if (f.rpm === null || f.rpm < 0) continue;
    if (f.rpm > 0) spinning.add(f.path);
    if (spinning.has(f.path)) fanOut.push({ label: f.label, rpm: f.rpm });
  }
  return {
    hottestTempC: hottest?.c ?? null,
    hottestSensor: hottest?.label ?? null,
    fans: fanOut.slice(0, 32),
    hwmonPowerW: power !== null && power >= 0 ? Math.round(power / 1e4) / 100 : null,
    vanished: vanished || (files.temps.length > 0 && temps.every((t) => t.c === null)),
  };
}
