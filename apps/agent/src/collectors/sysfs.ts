import { readdir, readFile, readlink } from "node:fs/promises";
import { basename } from "node:path";

/** Small readers shared by the /sys collectors. A missing or unreadable file is null, never an exception. */

export async function readTrimmed(path: string): Promise<string | null> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return null;
  }
}

/** An integer file ("45000\n", "1234567890\n"); null when missing, unreadable or not an integer. */
export async function readInt(path: string): Promise<number | null> {
  const t = await readTrimmed(path);
  if (t === null || !/^-?\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Numbered entries like hwmon0, hwmon10, card1, in numeric order. Missing directory: none. */
export async function numbered(dir: string, prefix: string): Promise<string[]> {
  return (await listDir(dir))
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}

/** The last path component of a symlink's target (a device's `driver` link names the driver); null if none. */
export async function linkName(path: string): Promise<string | null> {
  try {
    return basename(await readlink(path));
  } catch {
    return null;
  }
}

/** Parses a kernel CPU list such as "0-3,5,7-8" into its members; null when it does not parse. */
export function parseCpuList(text: string | null): Set<number> | null {
  if (text === null || text.trim() === "") return null;
  const out = new Set<number>();
  for (const part of text.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m?.[1]) return null;
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    // Bounded: a corrupt range cannot make us loop for long.
    for (let i = from; i <= Math.min(to, from + 4096); i++) out.add(i);
  }
  return out;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
