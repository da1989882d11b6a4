import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Cumulative I/O counters from /proc/diskstats and /proc/net/dev. Rates are the difference between two
 * readings divided by the time between them; the sampler keeps the previous reading.
 */

/**
 * Whole disks only. Partitions (sda1, nvme0n1p2, mmcblk0p1) are already counted in their disk, and
 * device-mapper, md RAID, loop and zram devices sit on top of (or beside) real disks: counting them too
 * would count the same bytes twice or count memory as disk.
 */
const WHOLE_DISK = /^(sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;

export interface DiskCounters {
  /** Bytes read and written since boot, summed over whole disks. */
  readBytes: number;
  writeBytes: number;
}

export function parseDiskstats(text: string): DiskCounters {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    // major minor name reads merged sectors_read ms writes merged sectors_written ...
    if (f.length < 10 || !WHOLE_DISK.test(f[2] ?? "")) continue;
    const read = Number(f[5]);
    const written = Number(f[9]);
    if (!Number.isFinite(read) || !Number.isFinite(written)) continue;
    // diskstats counts 512-byte sectors whatever the device's real sector size.
    readBytes += read * 512;
    writeBytes += written * 512;
  }
  return { readBytes, writeBytes };
}

/** Received and sent bytes per interface, loopback left out (it is not the machine's network). */
export function parseNetDev(text: string): Map<string, { rx: number; tx: number }> {
  const out = new Map<string, { rx: number; tx: number }>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === "lo" || iface === "") continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    const rx = f[0];
    const tx = f[8];
    if (rx === undefined || tx === undefined || !Number.isFinite(rx) || !Number.isFinite(tx)) continue;
    out.set(iface, { rx, tx });
  }
  return out;
}

export async function readDiskCounters(root: string): Promise<DiskCounters | null> {
  try {
    return parseDiskstats(await readFile(join(root, "proc/diskstats"), "utf8"));
  } catch {
    return null;
  }
}

export async function readNetCounters(root: string): Promise<Map<string, { rx: number; tx: number }> | null> {
  try {
    return parseNetDev(await readFile(join(root, "proc/net/dev"), "utf8"));
  } catch {
    return null;
  }
}

/** Per-second rate of a counter; null without a previous reading, elapsed time, or when it went backwards. */
export function ratePerS(prev: number | undefined, next: number, dtS: number): number | null {
  if (prev === undefined || dtS <= 0 || next < prev) return null;
  return Math.round((next - prev) / dtS);
}

/** Network rates summed over interfaces seen in both readings; one whose counter went back (reset) is left out. */
export function netRates(
  prev: Map<string, { rx: number; tx: number }> | null,
  next: Map<string, { rx: number; tx: number }>,
  dtS: number,
): { rxBps: number; txBps: number } | null {
  if (!prev || dtS <= 0) return null;
  let rx = 0;
  let tx = 0;
  let any = false;
  for (const [iface, n] of next) {
    const p = prev.get(iface);
    if (!p || n.rx < p.rx || n.tx < p.tx) continue;
    rx += n.rx - p.rx;
    tx += n.tx - p.tx;
    any = true;
  }
  return any ? { rxBps: Math.round(rx / dtS), txBps: Math.round(tx / dtS) } : null;
}
