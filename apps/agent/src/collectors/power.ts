import { join } from "node:path";
import { numbered, readInt, readTrimmed } from "./sysfs.ts";

/**
 * Machine power: RAPL energy counters (package domains), else a hwmon power sensor, else the battery's
 * discharge power. Battery state itself is read here too.
 */

export interface RaplDomain {
  energy: string;
  /** The value at which energy_uj wraps back to 0. */
  maxRangeUj: number;
}

/**
 * Top-level package domains only (intel-rapl:0, intel-rapl:1 on two-socket machines). Sub-domains
 * (intel-rapl:0:0 core, :1 uncore, :2 dram) are parts of their package and would count twice; "psys"
 * (platform) contains the packages too.
 */
export async function discoverRapl(root: string): Promise<RaplDomain[]> {
  const base = join(root, "sys/class/powercap");
  const out: RaplDomain[] = [];
  for (const entry of await numbered(base, "intel-rapl:")) {
    const dir = join(base, entry);
    const name = await readTrimmed(join(dir, "name"));
    if (!name?.startsWith("package")) continue;
    const maxRangeUj = await readInt(join(dir, "max_energy_range_uj"));
    // energy_uj is root-only since Linux 5.10 (the Platypus side channel): unreadable means no RAPL for us.
    if (maxRangeUj === null || maxRangeUj <= 0 || (await readInt(join(dir, "energy_uj"))) === null) continue;
    out.push({ energy: join(dir, "energy_uj"), maxRangeUj });
  }
  return out;
}

export async function readRapl(domains: RaplDomain[]): Promise<number[] | null> {
  if (domains.length === 0) return null;
  const values = await Promise.all(domains.map((d) => readInt(d.energy)));
  return values.every((v): v is number => v !== null) ? values : null;
}

/** Energy used between two readings of one counter, µJ, across at most one wrap-around. */
export function energyDeltaUj(prev: number, next: number, maxRangeUj: number): number {
  return next >= prev ? next - prev : maxRangeUj - prev + next;
}

/** Watts over `dtS` seconds from two readings of the package counters; null without both. */
export function raplWatts(
  domains: RaplDomain[],
  prev: number[] | null,
  next: number[] | null,
  dtS: number,
): number | null {
  if (!prev || !next || prev.length !== next.length || next.length !== domains.length || dtS <= 0) return null;
  let uj = 0;
  for (const [i, d] of domains.entries()) uj += energyDeltaUj(prev[i] ?? 0, next[i] ?? 0, d.maxRangeUj);
  return Math.round(uj / dtS / 1e4) / 100;
}

export interface BatteryReading {
  percent: number | null;
  charging: boolean | null;
  powerW: number | null;
  discharging: boolean;
}

/** The first battery (BAT0, BAT1, ...) under /sys/class/power_supply; null without one. */
export async function findBattery(root: string): Promise<string | null> {
  const base = join(root, "sys/class/power_supply");
  const first = (await numbered(base, "BAT"))[0];
  return first ? join(base, first) : null;
}

export async function readBattery(dir: string): Promise<BatteryReading | null> {
  const [capacity, status, powerNow, currentNow, voltageNow] = await Promise.all([
    readInt(join(dir, "capacity")),
    readTrimmed(join(dir, "status")),
    readInt(join(dir, "power_now")),
    readInt(join(dir, "current_now")),
    readInt(join(dir, "voltage_now")),
  ]);
  if (capacity === null && status === null) return null;
  // power_now is µW; batteries that report current instead give µA and µV.
  let microW: number | null = powerNow;
  if (microW === null && currentNow !== null && voltageNow !== null) microW = (currentNow * voltageNow) / 1e6;
  const charging = status === "Charging" ? true : status === "Discharging" || status === "Full" ? false : null;
  return {
    percent: capacity !== null && capacity >= 0 && capacity <= 100 ? capacity : null,
    charging: status === "Not charging" ? false : charging,
    // Some drivers report the discharge current as negative.
    powerW: microW === null ? null : Math.min(1000, Math.round(Math.abs(microW) / 1e4) / 100),
    discharging: status === "Discharging",
  };
}
