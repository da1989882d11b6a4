/** How often buffered socket events are applied to React state. Events arrive per device; renders do not. */
export const FLUSH_INTERVAL_MS = 250;

/**
 * A store for `useSyncExternalStore` whose snapshot changes at most once per flush interval,
 * however many events arrive in between. Subclasses buffer events and build the next snapshot in `flush`.
 */
export abstract class BatchedStore<Snapshot> {
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  protected constructor(protected snapshot: Snapshot) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): Snapshot => this.snapshot;

  /** Builds the next snapshot from what was buffered; returns null when nothing visible changed. */
  protected abstract flush(): Snapshot | null;

  protected scheduleFlush(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushNow();
    }, FLUSH_INTERVAL_MS);
  }

  /** For changes a person caused or waits on (a snapshot arrived, an error): no reason to wait. */
  protected flushNow(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const next = this.flush();
    if (next === null) return;
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}
