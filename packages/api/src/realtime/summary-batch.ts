/**
 * How long a device summary that only carries a new sample may wait, so that many go in one emit. Short next to
 * the dashboard's own 250 ms render batching, so that the wait stays a small part of a sample's way to the screen;
 * at 3,000 devices a second it still turns about 300 emits into one.
 */
export const SUMMARY_FLUSH_MS = 100;

/**
 * Items marked since the last flush, latest value per key, handed over at most once per interval. A key marked
 * many times in one interval goes once, with its last value.
 */
export class DirtyBatch<T> {
  private dirty = new Map<string, T>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly everyMs: number,
    private readonly send: (items: T[]) => void,
  ) {}

  mark(key: string, item: T): void {
    this.dirty.set(key, item);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.everyMs);
    this.timer.unref();
  }

  /** The key's newer state went out another way (or it is gone): nothing left to send for it. */
  drop(key: string): void {
    this.dirty.delete(key);
  }

  /** Sends whatever is marked now; the next mark arms the timer again. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty.size === 0) return;
    const items = [...this.dirty.values()];
    this.dirty = new Map();
    this.send(items);
  }
}

/**
 * Puts items with the same rooms in one group: one emit per group reaches each socket once (socket.io sends a
 * packet once per socket across the rooms of one emit), and an item goes to its own rooms and no other.
 */
export function groupByRooms<T>(items: Iterable<{ rooms: string[]; item: T }>): { rooms: string[]; items: T[] }[] {
  const groups = new Map<string, { rooms: string[]; items: T[] }>();
  for (const { rooms, item } of items) {
    const key = rooms.join("\n");
    const group = groups.get(key);
    if (group) group.items.push(item);
    else groups.set(key, { rooms, items: [item] });
  }
  return [...groups.values()];
}
