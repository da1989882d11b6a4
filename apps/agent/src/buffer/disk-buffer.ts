import { mkdirSync } from "node:fs";
import { type AgentEvent, agentEventSchema, type TelemetrySample, telemetrySampleSchema } from "@labfleet/protocol";
import { errnoCode } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type Entry, readEntries } from "./entries.ts";
import { LossLedger } from "./loss-ledger.ts";
import { SegmentFiles, type Spot } from "./segment-files.ts";
import { readRecords, type StoredKind } from "./segments.ts";

export const DEFAULT_BUFFER_MAX_BYTES = 64 * 1024 * 1024;
/** Telemetry is fsync'd at most this often; events and segment switches are fsync'd at once. */
const TELEMETRY_SYNC_MS = 5_000;
const DISK_FULL_LOG_EVERY_MS = 15 * 60_000;

export type BufferKind = "telemetry" | "event";
export interface BufferedTelemetry {
  seq: number;
  value: TelemetrySample;
}
export interface BufferedEvent {
  seq: number;
  value: AgentEvent;
}

export interface BufferStats {
  bytes: number;
  records: number;
  telemetry: number;
  events: number;
  /** Telemetry samples dropped since start because of the cap or a full disk. */
  droppedSamples: number;
}

export interface DiskBufferOptions {
  dir: string;
  log: Logger;
  maxBytes?: number;
  /** Segment size; default an eighth of the cap, between 16 KiB and 4 MiB. */
  segmentBytes?: number;
  now?: () => number;
}

/**
 * The agent's offline buffer: append-only segment files of framed records (see frame.ts). A record leaves the
 * buffer only when its ack is recorded (a tombstone), so a crash between send and ack means a replay, which the
 * server's (device, ts) and (device, key) keys make harmless. Files are removed oldest first once every data
 * record in them is acked. Over the cap, the oldest segment goes: its telemetry is dropped and counted (reported
 * as a `buffer.loss` event), its pending events are copied forward, never dropped.
 *
 * All I/O is synchronous: records are small, and it keeps every change atomic with respect to the event loop.
 */
export class DiskBuffer {
  private readonly entries = { t: new Map<number, Entry>(), e: new Map<number, Entry>() };
  private readonly files: SegmentFiles;
  private nextSeq = 1;
  private maxBytes: number;
  private lastSyncAt = 0;
  private dirty = false;
  private diskFull = false;
  private diskFullLoggedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly loss: LossLedger;

  private constructor(private readonly o: DiskBufferOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_BUFFER_MAX_BYTES;
    this.now = o.now ?? Date.now;
    this.files = new SegmentFiles(o.dir, o.log);
    this.loss = new LossLedger(
      {
        append: (event) => this.appendEventOnly(event),
        isPending: (seq) => this.entries.e.has(seq),
        ack: (seqs) => this.ack(seqs),
      },
      o.log,
      this.now,
    );
  }

  /** Opens (creating) the buffer directory; skips torn and corrupt records with a warning, never throws on them. */
  static open(o: DiskBufferOptions): DiskBuffer {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const b = new DiskBuffer(o);
    b.load();
    return b;
  }

  get dir(): string {
    return this.o.dir;
  }

  private get segmentBytes(): number {
    return this.o.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.max(16 * 1024, Math.floor(this.maxBytes / 8)));
  }

  private load(): void {
    for (const { seg, loaded } of this.files.load()) {
      for (const { record, offset, length } of loaded.records) {
        if (record.k === "a") {
          for (const q of record.d) this.remove(q);
          continue;
        }
        this.remove(record.q);
        this.entries[record.k].set(record.q, { kind: record.k, seg, offset, length });
        seg.live++;
        this.nextSeq = Math.max(this.nextSeq, record.q + 1);
      }
    }
    this.files.openNext(this.nextSeq);
    this.files.dropEmptyHeads();
  }

  /** Forgets a record wherever it is (acked, evicted or superseded by a newer copy). */
  private remove(seq: number): Entry | undefined {
    for (const map of [this.entries.t, this.entries.e]) {
      const e = map.get(seq);
      if (!e) continue;
      map.delete(seq);
      if (e.seg) e.seg.live--;
      return e;
    }
    return undefined;
  }

  /** Writes one frame to the active segment. ENOSPC: log once, free the oldest telemetry, retry once. */
  private write(record: unknown): Spot {
    if (this.files.active.bytes >= this.segmentBytes) this.files.openNext(this.nextSeq);
    for (let attempt = 0; ; attempt++) {
      try {
        const spot = this.files.append(record);
        this.diskFull = false;
        return spot;
      } catch (e) {
        const code = errnoCode(e);
        if ((code !== "ENOSPC" && code !== "EDQUOT") || attempt > 0) throw e;
        // A full disk repeats on every write until someone frees space: say it once per quarter hour, not per sample.
        if (this.now() - this.diskFullLoggedAt >= DISK_FULL_LOG_EVERY_MS) {
          this.o.log.error({ dir: this.o.dir }, "the disk is full: dropping the oldest telemetry, keeping events");
          this.diskFullLoggedAt = this.now();
        }
        this.diskFull = true;
        // No copying forward here (that would write to the full disk): the file's events stay in memory.
        this.evictOldest(false);
      }
    }
  }

  appendTelemetry(sample: TelemetrySample): number {
    const q = this.nextSeq++;
    try {
      const at = this.write({ q, k: "t", d: sample });
      this.entries.t.set(q, { kind: "t", ...at });
      at.seg.live++;
    } catch (e) {
      this.loss.add(1);
      this.o.log.debug({ err: errnoCode(e) ?? String(e) }, "a telemetry sample could not be buffered");
      this.loss.settle();
      return q;
    }
    this.dirty = true;
    if (this.now() - this.lastSyncAt >= TELEMETRY_SYNC_MS) this.sync();
    this.enforceCap();
    this.loss.settle();
    return q;
  }

  appendEvent(event: AgentEvent): number {
    const q = this.appendEventOnly(event);
    this.enforceCap();
    this.loss.settle();
    return q;
  }

  private appendEventOnly(event: AgentEvent): number {
    const q = this.nextSeq++;
    try {
      const at = this.write({ q, k: "e", d: event });
      this.entries.e.set(q, { kind: "e", ...at });
      at.seg.live++;
      this.sync();
    } catch (e) {
      // Events are never dropped: held in memory until acked when the disk refuses them.
      this.o.log.warn({ err: errnoCode(e) ?? String(e), kind: event.kind }, "an event is held in memory only");
      this.entries.e.set(q, { kind: "e", seg: null, offset: 0, length: 0, memory: event });
    }
    return q;
  }

  /** Up to `max` of the oldest records of one kind, skipping `exclude` (those in flight). */
  peekTelemetry(max: number, exclude: ReadonlySet<number> = new Set()): BufferedTelemetry[] {
    return this.peek("t", max, exclude, (v) => telemetrySampleSchema.safeParse(v));
  }

  peekEvents(max: number, exclude: ReadonlySet<number> = new Set()): BufferedEvent[] {
    return this.peek("e", max, exclude, (v) => agentEventSchema.safeParse(v));
  }

  private peek<T>(
    kind: StoredKind,
    max: number,
    exclude: ReadonlySet<number>,
    parse: (v: unknown) => { success: true; data: T } | { success: false },
  ): Array<{ seq: number; value: T }> {
    const picked: Array<[number, Entry]> = [];
    for (const [q, e] of this.entries[kind]) {
      if (picked.length >= max) break;
      if (!exclude.has(q)) picked.push([q, e]);
    }
    const values = readEntries(picked);
    this.loss.peeked(picked.map(([q]) => q));
    const out: Array<{ seq: number; value: T }> = [];
    const garbage: number[] = [];
    for (const [q] of picked) {
      const parsed = parse((values.get(q) as { d?: unknown } | undefined)?.d);
      if (parsed.success) out.push({ seq: q, value: parsed.data });
      else garbage.push(q);
    }
    if (garbage.length > 0) {
      // Written by another agent version, or damaged on disk after open: it can never be sent.
      this.o.log.warn({ records: garbage.length }, "discarded buffered records that no longer parse");
      this.ack(garbage);
    }
    return out;
  }

  /** Records the server's ack: the records leave the buffer, and fully acked files are removed. */
  ack(seqs: readonly number[]): void {
    const known = seqs.filter((q) => this.entries.t.has(q) || this.entries.e.has(q));
    if (known.length === 0) return;
    const onDisk = known.filter((q) => (this.entries.t.get(q) ?? this.entries.e.get(q))?.seg);
    for (const q of known) this.remove(q);
    if (onDisk.length > 0) {
      try {
        this.write({ k: "a", d: onDisk });
        this.dirty = true;
      } catch {
        // The tombstone is lost: after a restart those records are sent again and the server ignores them.
      }
    }
    this.files.dropEmptyHeads();
  }

  setMaxBytes(maxBytes: number): void {
    if (maxBytes === this.maxBytes) return;
    this.maxBytes = maxBytes;
    this.enforceCap();
    this.loss.settle();
  }

  get maxSizeBytes(): number {
    return this.maxBytes;
  }

  stats(): BufferStats {
    return {
      bytes: this.files.bytes,
      records: this.entries.t.size + this.entries.e.size,
      telemetry: this.entries.t.size,
      events: this.entries.e.size,
      droppedSamples: this.loss.droppedSamples,
    };
  }

  /** fsync of telemetry written since the last one (the runner calls this every few seconds). */
  syncIfDirty(): void {
    if (this.dirty) this.sync();
  }

  sync(): void {
    this.files.sync();
    this.dirty = false;
    this.lastSyncAt = this.now();
  }

  close(): void {
    this.files.close();
    this.dirty = false;
  }

  private enforceCap(): void {
    // Bounded: each round removes one file, and the loop never runs more rounds than there are files.
    for (let rounds = this.files.segments.length; rounds > 0 && this.stats().bytes > this.maxBytes; rounds--) {
      if (!this.evictOldest(true)) break;
    }
  }

  /**
   * Removes the oldest file that holds telemetry: its telemetry is dropped (and counted by the loss ledger), its
   * pending events are copied forward (or, on a full disk, kept in memory). Returns false when no file holds
   * telemetry (events alone may then exceed the cap: they are never dropped). A removed middle file may hold
   * tombstones of older records: after a restart those would be sent again, which the server's keys make harmless.
   */
  private evictOldest(copyEvents: boolean): boolean {
    const holdsTelemetry = new Set([...this.entries.t.values()].map((e) => e.seg));
    const target = this.files.segments.find((s) => holdsTelemetry.has(s));
    if (!target) return false;
    if (target === this.files.active) this.files.openNext(this.nextSeq);
    const telemetry = [...this.entries.t].filter(([, e]) => e.seg === target);
    const events = [...this.entries.e].filter(([, e]) => e.seg === target);
    const eventValues = readRecords(
      target.path,
      events.map(([, e]) => e),
    );
    this.files.segments = this.files.segments.filter((s) => s !== target);
    for (const [q] of telemetry) this.entries.t.delete(q);
    for (const [i, [q, entry]] of events.entries()) {
      const value = (eventValues[i] as { d?: unknown } | undefined)?.d;
      this.entries.e.set(q, { ...entry, seg: null, memory: value });
      if (!copyEvents) continue;
      try {
        const at = this.write({ q, k: "e", d: value });
        // A nested eviction (the disk filled up meanwhile) may have taken it back to memory: only a live entry moves.
        const current = this.entries.e.get(q);
        if (current && current.seg === null) {
          this.entries.e.set(q, { kind: "e", ...at });
          at.seg.live++;
        }
      } catch {
        // Stays in memory: still sent, just not durable until the disk has room.
      }
    }
    this.files.drop(target);
    this.sync();
    this.loss.add(telemetry.length, this.diskFull);
    return true;
  }
}
