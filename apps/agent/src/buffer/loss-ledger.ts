import { randomUUID } from "node:crypto";
import type { AgentEvent } from "@labfleet/protocol";
import type { Logger } from "../logger.ts";

/** What the ledger needs from the buffer: to queue its `buffer.loss` events and to withdraw an unsent one. */
export interface LossEvents {
  append(event: AgentEvent): number;
  isPending(seq: number): boolean;
  ack(seqs: readonly number[]): void;
}

/**
 * Counts telemetry the buffer dropped (over the cap, or on a full disk) and reports it as `buffer.loss` events:
 * at most one unsent at a time, so that a long outage at the cap leaves one event rather than one per evicted file.
 */
export class LossLedger {
  /** Samples dropped since start. */
  private dropped = 0;
  /** The latest buffer.loss event while no one has read it yet: a new loss is added to it instead of piling up. */
  private open: { seq: number; dropped: number } | null = null;
  /** Samples dropped and not yet reported in a `buffer.loss` event. */
  private pending = 0;
  private fromDisk = false;

  constructor(
    private readonly events: LossEvents,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  get droppedSamples(): number {
    return this.dropped;
  }

  /** Notes `n` dropped samples, to be reported by the next `settle`; `diskFull` marks the report's reason. */
  add(n: number, diskFull = false): void {
    this.pending += n;
    if (diskFull) this.fromDisk = true;
  }

  /** Records were handed out to be sent: an open loss event among them can no longer be replaced. */
  peeked(seqs: readonly number[]): void {
    if (this.open && seqs.some((q) => q === this.open?.seq)) this.open = null;
  }

  /** Turns the samples dropped by the last append into one `buffer.loss` event (bounded: a few rounds at most). */
  settle(): void {
    for (let round = 0; round < 3 && this.pending > 0; round++) {
      const n = this.pending;
      this.pending = 0;
      this.record(n);
    }
  }

  private record(dropped: number): void {
    this.dropped += dropped;
    this.log.warn(
      { droppedSamples: dropped, totalDropped: this.dropped },
      "the offline buffer dropped its oldest telemetry",
    );
    // Never sent yet (nobody peeked it): replace it with one that counts both, so that a long outage at the
    // cap leaves one loss event rather than one per evicted file (events are never evicted themselves).
    let total = dropped;
    const open = this.open;
    if (open && this.events.isPending(open.seq)) {
      total += open.dropped;
      this.events.ack([open.seq]);
    }
    const seq = this.events.append({
      key: randomUUID(),
      ts: this.now(),
      kind: "buffer.loss",
      data: { droppedSamples: total, reason: this.fromDisk ? "disk_full" : "cap" },
    });
    this.fromDisk = false;
    this.open = { seq, dropped: total };
  }
}
