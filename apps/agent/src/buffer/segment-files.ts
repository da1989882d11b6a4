import { closeSync, ftruncateSync, openSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logger.ts";
import { encodeFrame } from "./frame.ts";
import {
  type LoadedSegment,
  listSegments,
  loadSegment,
  removeSegment,
  type Segment,
  segmentName,
  syncDir,
  syncFd,
} from "./segments.ts";

/** Where a record was written. */
export interface Spot {
  seg: Segment;
  offset: number;
  length: number;
}

/**
 * The buffer's files, oldest first; the last one is open for appending. Knows bytes and files, not records:
 * what a record means and when it may go is DiskBuffer's business.
 */
export class SegmentFiles {
  segments: Segment[] = [];
  private fd = -1;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** Reads every file; a torn tail of the last one is cut off so that nothing is appended after garbage. */
  load(): Array<{ seg: Segment; loaded: LoadedSegment }> {
    const paths = listSegments(this.dir);
    return paths.map((path, i) => {
      const loaded = loadSegment(path);
      if (loaded.tornAt !== null && i === paths.length - 1) {
        truncateSync(path, loaded.tornAt);
        loaded.bytes = loaded.tornAt;
      }
      if (loaded.corruptBytes > 0 || loaded.tornAt !== null) {
        this.log.warn(
          { segment: path, corruptBytes: loaded.corruptBytes, tornAt: loaded.tornAt },
          "skipped damaged records in the offline buffer",
        );
      }
      const seg: Segment = { path, bytes: loaded.bytes, live: 0 };
      this.segments.push(seg);
      return { seg, loaded };
    });
  }

  get active(): Segment {
    const s = this.segments.at(-1);
    if (!s) throw new Error("the offline buffer has no open segment");
    return s;
  }

  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** Closes the current file (fsync'd) and starts a new one named after the next sequence number. */
  openNext(nextSeq: number): void {
    if (this.fd >= 0) {
      syncFd(this.fd);
      closeSync(this.fd);
    }
    const path = join(this.dir, segmentName(nextSeq));
    this.fd = openSync(path, "a", 0o600);
    if (!this.segments.some((s) => s.path === path)) this.segments.push({ path, bytes: 0, live: 0 });
    // The new file's name must survive a power cut as much as its contents.
    syncDir(this.dir);
  }

  /** Appends one frame; on failure the file is cut back to its last whole record and the error is thrown. */
  append(record: unknown): Spot {
    const frame = encodeFrame(record);
    const seg = this.active;
    try {
      writeSync(this.fd, frame);
    } catch (e) {
      ftruncateSync(this.fd, seg.bytes);
      throw e;
    }
    const offset = seg.bytes;
    seg.bytes += frame.length;
    return { seg, offset, length: frame.length };
  }

  sync(): void {
    if (this.fd < 0) return;
    try {
      syncFd(this.fd);
    } catch {
      // Nothing to do about a failing fsync but carry on: the next one may work.
    }
  }

  /** Removes a file whatever it holds (eviction). */
  drop(seg: Segment): void {
    this.segments = this.segments.filter((s) => s !== seg);
    removeSegment(seg.path);
  }

  /** Removes the oldest files while nothing in them waits for an ack (the open file stays). */
  dropEmptyHeads(): void {
    while (this.segments.length > 1 && this.segments[0]?.live === 0) {
      const head = this.segments.shift();
      if (head) removeSegment(head.path);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }
}
