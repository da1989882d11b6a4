import type { Logger } from "../logger.ts";

/**
 * Calls `tick` every `intervalMs` while started. Ticks are scheduled from when the previous one began
 * (no drift from slow samples), never overlap (a tick still running makes the next one skip), and an
 * interval change reschedules at once: when a dashboard opens and asks for 1 s, the agent does not
 * first sit out the rest of a 10 s wait.
 */
export class TelemetryLoop {
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  private busy = false;
  private running = false;

  constructor(
    private interval: number,
    private readonly tick: () => Promise<void>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get intervalMs(): number {
    return this.interval;
  }

  /** Starts with an immediate tick. */
  start(): void {
    this.stop();
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastTickAt = 0;
  }

  setIntervalMs(ms: number): void {
    this.interval = ms;
    if (this.running && this.lastTickAt > 0) this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    const wait = Math.max(0, this.lastTickAt + this.interval - this.now());
    this.timer = setTimeout(() => void this.run(), wait);
  }

  private async run(): Promise<void> {
    this.lastTickAt = this.now();
    this.schedule();
    if (this.busy) {
      this.log.warn("the previous sample is still being taken; skipped one tick");
      return;
    }
    this.busy = true;
    try {
      await this.tick();
    } finally {
      this.busy = false;
    }
  }
}
