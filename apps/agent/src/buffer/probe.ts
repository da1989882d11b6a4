import { randomUUID } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { errnoCode } from "../errors.ts";

export type BufferDirProbe =
  | { ok: true; freeBytes: number | null; totalBytes: number | null }
  | { ok: false; reason: string };

/** The directory itself, or the nearest one above it that exists (where `run` would create it). */
function nearestExisting(dir: string): string {
  let d = dir;
  for (let i = 0; i < 64 && !existsSync(d); i++) d = dirname(d);
  return d;
}

/**
 * Can the agent write in the buffer's directory (create, write, fsync and remove a file there), and how much disk
 * is free? A directory that does not exist yet is not created: its nearest existing parent must be writable.
 */
export function probeBufferDir(dir: string): BufferDirProbe {
  const existing = nearestExisting(dir);
  try {
    if (existing === dir) {
      const file = join(dir, `.probe-${randomUUID()}`);
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, Buffer.alloc(4096));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        unlinkSync(file);
      }
    } else {
      accessSync(existing, constants.W_OK);
    }
  } catch (e) {
    return { ok: false, reason: errnoCode(e) ?? (e instanceof Error ? e.message : String(e)) };
  }
  try {
    const s = statfsSync(existing);
    return { ok: true, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return { ok: true, freeBytes: null, totalBytes: null };
  }
}
