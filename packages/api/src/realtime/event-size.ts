import { Decoder, Encoder } from "socket.io-parser";

/** The size of each event payload as it arrived (bytes of its socket.io packet), by the decoded payload object. */
const arrivedBytes = new WeakMap<object, number>();

/**
 * socket.io's own decoder, which also notes how many bytes each text packet had when it came off the wire, so that
 * the edge can check an event's size without serialising the payload again. Binary packets are not noted (their
 * size is measured the slow way).
 */
class MeasuringDecoder extends Decoder {
  private bytes: number | null = null;

  constructor(...args: ConstructorParameters<typeof Decoder>) {
    super(...args);
    // Registered before socket.io's own listener, so the size is noted before the event is dispatched.
    this.on("decoded", (packet: { data?: unknown }) => {
      const payload = Array.isArray(packet.data) ? packet.data[1] : undefined;
      if (this.bytes !== null && typeof payload === "object" && payload !== null) arrivedBytes.set(payload, this.bytes);
    });
  }

  override add(chunk: unknown): void {
    this.bytes = typeof chunk === "string" ? Buffer.byteLength(chunk, "utf8") : null;
    super.add(chunk);
  }
}

/** The `parser` option of the socket.io server. */
export const measuringParser = { Encoder, Decoder: MeasuringDecoder };

/** The payload's size in bytes: as it arrived when the parser noted it, else its JSON (Infinity if it has none). */
export function eventBytes(payload: unknown): number {
  if (typeof payload === "object" && payload !== null) {
    const noted = arrivedBytes.get(payload);
    if (noted !== undefined) return noted;
  }
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? "", "utf8");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
