import { Decoder, Encoder } from "socket.io-parser";

interface Arrived {
  /** Bytes of its socket.io packet. */
  bytes: number;
  /**
   * No `\u` escape anywhere in the packet. A NUL or half a surrogate pair can only reach a decoded string through
   * one (JSON allows no raw control character in a string, and the WebSocket layer refuses invalid UTF-8), so such
   * a payload holds only text the database can store.
   */
  plain: boolean;
}

/** What each event payload looked like as it arrived, by the decoded payload object. */
const arrived = new WeakMap<object, Arrived>();

/**
 * socket.io's own decoder, which also notes how many bytes each text packet had when it came off the wire, so that
 * the edge can check an event's size without serialising the payload again. Binary packets are not noted (their
 * size is measured the slow way).
 */
class MeasuringDecoder extends Decoder {
  private noted: Arrived | null = null;

  constructor(...args: ConstructorParameters<typeof Decoder>) {
    super(...args);
    // Registered before socket.io's own listener, so the size is noted before the event is dispatched.
    this.on("decoded", (packet: { data?: unknown }) => {
      const payload = Array.isArray(packet.data) ? packet.data[1] : undefined;
      if (this.noted !== null && typeof payload === "object" && payload !== null) arrived.set(payload, this.noted);
    });
  }

  override add(chunk: unknown): void {
    this.noted =
      typeof chunk === "string" ? { bytes: Buffer.byteLength(chunk, "utf8"), plain: !chunk.includes("\\u") } : null;
    super.add(chunk);
  }
}

/** The `parser` option of the socket.io server. */
export const measuringParser = { Encoder, Decoder: MeasuringDecoder };

/** The payload's size in bytes: as it arrived when the parser noted it, else its JSON (Infinity if it has none). */
export function eventBytes(payload: unknown): number {
  if (typeof payload === "object" && payload !== null) {
    const noted = arrived.get(payload);
    if (noted !== undefined) return noted.bytes;
  }
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? "", "utf8");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * False when the payload arrived as a text packet without a `\u` escape: none of its strings can hold a NUL or half a
 * surrogate pair, and the walk of `findUnstorableText` over every sample can be skipped. True when unknown.
 */
export function mayHoldUnstorableText(payload: unknown): boolean {
  if (typeof payload !== "object" || payload === null) return true;
  return arrived.get(payload)?.plain !== true;
}
