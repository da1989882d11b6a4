import { crc32 } from "node:zlib";

/**
 * One record on disk: MAGIC (2 bytes) | payload length (u32 LE) | CRC32 of the payload (u32 LE) | payload
 * (UTF-8 JSON). The magic lets a scan find the next record after a corrupt length; the CRC catches a torn or
 * flipped payload.
 */
export const MAGIC = 0x464c; // "LF" little-endian
export const HEADER_BYTES = 10;
/** A record larger than this is garbage (a corrupt length), not a real record. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export function encodeFrame(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload), "utf8");
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt16LE(MAGIC, 0);
  frame.writeUInt32LE(body.length, 2);
  frame.writeUInt32LE(crc32(body), 6);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

export interface ScannedFrame {
  offset: number;
  length: number;
  value: unknown;
}

export interface ScanResult {
  frames: ScannedFrame[];
  /** Bytes skipped because they were corrupt (a bad CRC, bad JSON, or garbage between records). */
  corruptBytes: number;
  /** Where the valid data ends when the file ends in a torn (incomplete) record; null when it ends cleanly. */
  tornAt: number | null;
}

function headerAt(buf: Buffer, at: number): { length: number; crc: number } | null {
  if (at + HEADER_BYTES > buf.length || buf.readUInt16LE(at) !== MAGIC) return null;
  return { length: buf.readUInt32LE(at + 2), crc: buf.readUInt32LE(at + 6) };
}

function nextMagic(buf: Buffer, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf.readUInt16LE(i) === MAGIC) return i;
  return -1;
}

/**
 * Reads every intact record of a segment. A record whose bytes run past the end of the file is a torn write
 * (kill -9, power cut) and ends the scan (`tornAt`); a bad record in the middle is skipped and the scan resumes
 * at the next magic, so one flipped bit costs one record, not the rest of the file.
 */
export function scanFrames(buf: Buffer): ScanResult {
  const frames: ScannedFrame[] = [];
  let corruptBytes = 0;
  let at = 0;
  while (at < buf.length) {
    const h = headerAt(buf, at);
    if (h && h.length <= MAX_RECORD_BYTES && at + HEADER_BYTES + h.length > buf.length) {
      // Runs past the end: torn, unless a later intact record proves it was a corrupt length mid-file.
      const resume = nextMagic(buf, at + 1);
      if (resume < 0 || !isIntactAt(buf, resume)) return { frames, corruptBytes, tornAt: at };
      corruptBytes += resume - at;
      at = resume;
      continue;
    }
    if (h && h.length <= MAX_RECORD_BYTES) {
      const body = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + h.length);
      const value = crc32(body) === h.crc ? parseJson(body) : undefined;
      if (value !== undefined) {
        frames.push({ offset: at, length: HEADER_BYTES + h.length, value });
        at += HEADER_BYTES + h.length;
        continue;
      }
    }
    if (at + HEADER_BYTES > buf.length && !h) {
      // A few trailing bytes, too short for a header: a write torn inside the header.
      return { frames, corruptBytes, tornAt: at };
    }
    const resume = nextMagic(buf, at + 1);
    if (resume < 0) return { frames, corruptBytes, tornAt: at };
    corruptBytes += resume - at;
    at = resume;
  }
  return { frames, corruptBytes, tornAt: null };
}

function isIntactAt(buf: Buffer, at: number): boolean {
  const h = headerAt(buf, at);
  if (!h || h.length > MAX_RECORD_BYTES || at + HEADER_BYTES + h.length > buf.length) return false;
  return crc32(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + h.length)) === h.crc;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
