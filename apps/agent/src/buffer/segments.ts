import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import { scanFrames } from "./frame.ts";

/** One append-only file of the buffer, named after the first sequence number it was opened for. */
export interface Segment {
  path: string;
  bytes: number;
  /** Data records in this file that are still waiting for their ack. */
  live: number;
}

export type StoredKind = "t" | "e";
/** A data record (`t` telemetry, `e` event) or an ack tombstone (`a`, listing the sequence numbers it clears). */
export type StoredRecord = { q: number; k: StoredKind; d: unknown } | { k: "a"; d: number[] };

const SEGMENT_NAME = /^seg-(\d{16})\.log$/;

export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(16, "0")}.log`;
}

export function listSegments(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => SEGMENT_NAME.test(n))
    .sort()
    .map((n) => join(dir, n));
}

export interface LoadedSegment {
  path: string;
  bytes: number;
  records: Array<{ record: StoredRecord; offset: number; length: number }>;
  corruptBytes: number;
  tornAt: number | null;
}

function isStoredRecord(v: unknown): v is StoredRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as { q?: unknown; k?: unknown; d?: unknown };
  if (r.k === "a") return Array.isArray(r.d) && r.d.every((n) => Number.isSafeInteger(n));
  return (r.k === "t" || r.k === "e") && Number.isSafeInteger(r.q) && r.d !== undefined;
}

export function loadSegment(path: string): LoadedSegment {
  const buf = readFileSync(path);
  const scan = scanFrames(buf);
  const records: LoadedSegment["records"] = [];
  let corruptBytes = scan.corruptBytes;
  for (const f of scan.frames) {
    if (isStoredRecord(f.value)) records.push({ record: f.value, offset: f.offset, length: f.length });
    else corruptBytes += f.length;
  }
  return { path, bytes: buf.length, records, corruptBytes, tornAt: scan.tornAt };
}

/** Reads the payload of each record at its place, one open per segment. */
export function readRecords(path: string, spots: Array<{ offset: number; length: number }>): unknown[] {
  const fd = openSync(path, "r");
  try {
    return spots.map(({ offset, length }) => {
      const buf = Buffer.allocUnsafe(length);
      readSync(fd, buf, 0, length, offset);
      const [frame] = scanFrames(buf).frames;
      return frame ? (frame.value as StoredRecord) : undefined;
    });
  } finally {
    closeSync(fd);
  }
}

/** Makes a new or removed file name durable: fsync of the directory (not possible on every platform). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; the rename/create is still durable enough there for a buffer.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function removeSegment(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to do.
  }
}

export function syncFd(fd: number): void {
  fdatasyncSync(fd);
}
