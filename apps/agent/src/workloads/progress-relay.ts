import type { RunProgress } from "@labfleet/protocol";

/**
 * Forwards run progress at most once per `minGapMs` (4 a second by default), always ending on the latest
 * state: a burst keeps only its last value, sent when the gap is over. Progress is live-only, so dropping the
 * values in between loses nothing that matters.
 */
export class ProgressRelay {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: RunProgress | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (p: RunProgress) => void,
    private readonly minGapMs = 250,
  ) {}

  push(p: RunProgress): void {
    const now = Date.now();
    if (this.timer === null && now - this.lastSentAt >= this.minGapMs) {
      this.emit(p, now);
      return;
    }
    this.pending = p;
    this.timer ??= setTimeout(
      () => {
        this.timer = null;
        const latest = this.pending;
        this.pending = null;
        if (latest) this.emit(latest, Date.now());
      },
      Math.max(0, this.lastSentAt + this.minGapMs - now),
    );
  }

  /** Drops what is pending: after the run's result, progress would only confuse. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private emit(p: RunProgress, now: number): void {
    this.lastSentAt = now;
    this.send(p);
  }
}
