import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** hwmon chip names that measure the CPU itself (Intel, AMD, AMD out-of-tree, Raspberry Pi and other SoCs). */
const CPU_HWMON_NAMES = new Set([
  "coretemp",
  "k10temp",
  "zenpower",
  "k8temp",
  "cpu_thermal",
  "cpu-thermal",
  "soc_thermal",
]);

/**
 * Labels that mean "the whole CPU", best first. Tdie is preferred to Tctl because on some AMD parts Tctl
 * carries a fan-control offset (up to +27 °C on Threadripper); newer kernels expose only Tctl.
 */
const PACKAGE_LABELS = ["Package id 0", "Tdie", "Tctl"];

/** thermal_zone types, best first. acpitz is a board/ACPI zone: close to the CPU on most machines, a last resort. */
const THERMAL_ZONE_TYPES = [
  "x86_pkg_temp",
  "cpu-thermal",
  "cpu_thermal",
  "soc_thermal",
  "soc-thermal",
  "cpu0-thermal",
  "acpitz",
];

/** Where a CPU temperature is read: the hottest of `paths` (millidegree files). */
export interface TempSource {
  kind: "hwmon" | "thermal_zone";
  paths: string[];
  /** For logs: which sensor was chosen. */
  description: string;
}

async function readTrimmed(path: string): Promise<string | null> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return null;
  }
}

/** Numbered entries like hwmon0, hwmon10, thermal_zone2, in numeric order. Missing directory: none. */
async function numberedEntries(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}

/**
 * Millidegrees as written by the kernel ("45000\n") to °C. Sensors that are not wired up commonly report
 * 0 or nonsense (-273000, 127000+): those are no reading at all, never a 0 °C that did not happen.
 */
export function parseMillidegrees(text: string | null): number | null {
  if (text === null || !/^-?\d+$/.test(text.trim())) return null;
  const c = Number(text.trim()) / 1000;
  return c > 0 && c < 125 ? c : null;
}

async function hwmonSource(root: string): Promise<TempSource | null> {
  const base = join(root, "sys/class/hwmon");
  for (const entry of await numberedEntries(base, "hwmon")) {
    const dir = join(base, entry);
    // Kernels before 3.x kept `name` under device/.
    const name = (await readTrimmed(join(dir, "name"))) ?? (await readTrimmed(join(dir, "device/name")));
    if (!name || !CPU_HWMON_NAMES.has(name)) continue;
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      continue;
    }
    const inputs = files.filter((f) => /^temp\d+_input$/.test(f)).sort();
    if (inputs.length === 0) continue;
    const labelled = await Promise.all(
      inputs.map(async (f) => ({
        path: join(dir, f),
        label: await readTrimmed(join(dir, f.replace("_input", "_label"))),
      })),
    );
    for (const wanted of PACKAGE_LABELS) {
      const hit = labelled.find((l) => l.label === wanted);
      if (hit) return { kind: "hwmon", paths: [hit.path], description: `${name} ${wanted}` };
    }
    // No package sensor (per-core only, or unlabelled like cpu_thermal): the hottest one stands for the CPU.
    return { kind: "hwmon", paths: labelled.map((l) => l.path), description: `${name} (hottest of ${inputs.length})` };
  }
  return null;
}

async function thermalZoneSource(root: string): Promise<TempSource | null> {
  const base = join(root, "sys/class/thermal");
  const zones = await Promise.all(
    (await numberedEntries(base, "thermal_zone")).map(async (z) => ({
      type: await readTrimmed(join(base, z, "type")),
      path: join(base, z, "temp"),
    })),
  );
  for (const wanted of THERMAL_ZONE_TYPES) {
    const hits = zones.filter((z) => z.type === wanted);
    if (hits.length > 0) return { kind: "thermal_zone", paths: hits.map((h) => h.path), description: wanted };
  }
  return null;
}

/** The best CPU temperature sensor under `root`: a CPU hwmon chip, else a CPU-ish thermal zone, else null. */
export async function findCpuTempSource(root = "/"): Promise<TempSource | null> {
  return (await hwmonSource(root)) ?? (await thermalZoneSource(root));
}

/** °C from a source: the hottest valid reading, or null when none of its files gives one. */
export async function readTempSource(source: TempSource): Promise<number | null> {
  const values = (await Promise.all(source.paths.map(async (p) => parseMillidegrees(await readTrimmed(p))))).filter(
    (v): v is number => v !== null,
  );
  return values.length > 0 ? Math.max(...values) : null;
}

/** CPU temperature under `root`, °C; null when the machine exposes no CPU sensor. */
export async function readCpuTempC(root = "/"): Promise<number | null> {
  const source = await findCpuTempSource(root);
  return source ? readTempSource(source) : null;
}
