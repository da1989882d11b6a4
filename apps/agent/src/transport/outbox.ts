import { randomUUID } from "node:crypto";
import {
  type AgentEvent,
  type AgentEventKind,
  ackSchema,
  type SignedRunResult,
  type TelemetrySample,
  telemetryReportAckSchema,
} from "@labfleet/protocol";
import type { DiskBuffer } from "../buffer/disk-buffer.ts";
import { RollupWindow } from "../buffer/rollup.ts";
import type { Logger } from "../logger.ts";
import { type BackoffOptions, backoffDelayMs } from "./backoff.ts";
import type { AgentSocket } from "./reports.ts";

const storedAckSchema = ackSchema(telemetryReportAckSchema);
/** Refusals that a resend cannot fix: the record is dropped (and logged) instead of blocking the queue forever. */
const FINAL_REFUSALS = new Set(["BAD_REQUEST", "PAYLOAD_TOO_LARGE"]);
export const DEFAULT_MAX_BATCH = 100;
/** A batch stays well under the server's LIMITS.maxEventBytes (256 KiB), whatever the samples hold. */
const MAX_BATCH_BYTES = 192 * 1024;
/**
 * Pause after a BUSY answer: 1-2 s, then 2-4 s, then 2.5-5 s while refusals go on. A server that sheds load is
 * given room; the jitter keeps a classroom of agents from all coming back in the same instant.
 */
export const DEFAULT_BUSY_BACKOFF: BackoffOptions = { baseMs: 2_000, maxMs: 5_000 };

/** The longest prefix of `recs` whose JSON fits in MAX_BATCH_BYTES; at least one record. */
function fitBytes<T>(recs: T[]): T[] {
  let bytes = 0;
  for (const [i, r] of recs.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(r));
    if (bytes > MAX_BATCH_BYTES && i > 0) return recs.slice(0, i);
  }
  return recs;
}

type Lane = "t" | "e";
type SendResult = "acked" | "dropped" | "retry";

export interface OutboxOptions {
  buffer: DiskBuffer;
  log: Logger;
  ackTimeoutMs: number;
  now?: () => number;
  /** In [0, 1), like Math.random; for the jitter of the pause after BUSY. */
  random?: () => number;
  busyBackoff?: BackoffOptions;
}

/**
 * Everything the agent reports goes through the disk buffer and leaves it only on the server's ack. Online, each
 * new sample is sent at once (the live lane); a replay lane per kind sends the backlog oldest first, one batch in
 * flight at a time, so a long replay never holds up the live stream. Offline, samples become 10 s roll-ups.
 * When the server answers BUSY, nothing is sent for a jittered pause; samples taken meanwhile wait in the buffer
 * and go afterwards in batches.
 */
export class Outbox {
  private socket: AgentSocket | null = null;
  private readonly inFlight: Record<Lane, Set<number>> = { t: new Set(), e: new Set() };
  private readonly draining: Record<Lane, boolean> = { t: false, e: false };
  private readonly rollup = new RollupWindow();
  private batch = DEFAULT_MAX_BATCH;
  private lastSend: number | null = null;
  private readonly now: () => number;
  /** Set while pausing after a BUSY answer; its end resumes sending. */
  private resumeTimer: NodeJS.Timeout | null = null;
  /** BUSY answers since the last accepted report: only the first one of an outage is logged. */
  private busyRefusals = 0;
  /** Pauses since the last accepted report: each one is longer, up to the cap. */
  private busyPauses = 0;

  constructor(private readonly o: OutboxOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Whether sending is paused after a BUSY answer. */
  get pausedForBusy(): boolean {
    return this.resumeTimer !== null;
  }

  get lastSuccessfulSendAt(): number | null {
    return this.lastSend;
  }

  set maxBatch(n: number) {
    this.batch = Math.max(1, Math.min(500, Math.floor(n)));
  }

  /** Online: the partial offline window goes to the buffer, then the replay starts. */
  attach(socket: AgentSocket): void {
    this.flushRollup();
    this.socket = socket;
    this.kick();
  }

  detach(): void {
    this.socket = null;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    // Whatever was in flight stays in the buffer and is sent again on the next connection.
    this.inFlight.t.clear();
    this.inFlight.e.clear();
  }

  addSample(sample: TelemetrySample): void {
    try {
      this.addSampleUnsafe(sample);
    } catch (e) {
      // A buffer that cannot be written (EIO, a removed directory) must not take the agent down.
      this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, "cannot buffer a telemetry sample");
    }
  }

  private addSampleUnsafe(sample: TelemetrySample): void {
    const socket = this.socket;
    if (!socket) {
      const done = this.rollup.add(sample);
      if (done) this.o.buffer.appendTelemetry(done);
      return;
    }
    const seq = this.o.buffer.appendTelemetry(sample);
    // Paused: the sample waits in the buffer; the replay lane sends it with the others when the pause ends.
    if (this.resumeTimer) return;
    this.inFlight.t.add(seq);
    void this.send(socket, "t", [seq], [sample]).then(() => this.kick());
  }

  addEvent(kind: AgentEventKind, data: AgentEvent["data"] = {}): void {
    try {
      this.o.buffer.appendEvent({ key: randomUUID(), ts: this.now(), kind, data });
    } catch (e) {
      this.o.log.error({ err: e instanceof Error ? e.message : String(e), kind }, "cannot buffer an event");
    }
    this.kick();
  }

  /**
   * A finished run's signed result, in the event lane: it is never dropped, and its key (`run:<runId>`) lets the
   * server store it once however often it is replayed.
   */
  addRunResult(result: SignedRunResult): void {
    try {
      this.o.buffer.appendEvent({
        key: `run:${result.runId}`,
        ts: this.now(),
        kind: "run.finished",
        data: { runId: result.runId, status: result.status },
        result,
      });
    } catch (e) {
      this.o.log.error(
        { err: e instanceof Error ? e.message : String(e), runId: result.runId },
        "cannot buffer a run result",
      );
    }
    this.kick();
  }

  /** Ends the partial window (on connect and at shutdown) so that no offline sample is left in memory. */
  flushRollup(): void {
    const done = this.rollup.flush();
    if (done) this.o.buffer.appendTelemetry(done);
  }

  private kick(): void {
    for (const lane of ["e", "t"] as const) if (!this.draining[lane]) void this.drain(lane);
  }

  private async drain(lane: Lane): Promise<void> {
    this.draining[lane] = true;
    try {
      // Bounded by the backlog: every round acks or drops its batch, or stops.
      for (;;) {
        const socket = this.socket;
        if (!socket || this.resumeTimer) return;
        const recs = fitBytes<{ seq: number; value: unknown }>(
          lane === "t"
            ? this.o.buffer.peekTelemetry(this.batch, this.inFlight.t)
            : this.o.buffer.peekEvents(this.batch, this.inFlight.e),
        );
        if (recs.length === 0) return;
        const seqs = recs.map((r) => r.seq);
        for (const q of seqs) this.inFlight[lane].add(q);
        const result = await this.send(
          socket,
          lane,
          seqs,
          recs.map((r) => r.value),
        );
        if (result === "retry") return;
      }
    } catch (e) {
      // A file of the buffer went missing under us: stop this round; the next kick starts over from what is left.
      this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, "cannot read the offline buffer");
    } finally {
      this.draining[lane] = false;
    }
  }

  private async send(socket: AgentSocket, lane: Lane, seqs: number[], values: unknown[]): Promise<SendResult> {
    const event = lane === "t" ? "telemetry:report" : "events:report";
    let result: SendResult = "retry";
    try {
      const res =
        lane === "t"
          ? await socket
              .timeout(this.o.ackTimeoutMs)
              .emitWithAck("telemetry:report", { samples: values as TelemetrySample[] })
          : await socket.timeout(this.o.ackTimeoutMs).emitWithAck("events:report", { events: values as AgentEvent[] });
      const ack = storedAckSchema.safeParse(res);
      if (!ack.success) {
        this.o.log.warn({ event }, "the server answered with something unexpected; will resend");
      } else if (ack.data.ok) {
        result = "acked";
        this.lastSend = this.now();
        if (this.busyRefusals > 0) {
          this.o.log.info({ event, refusals: this.busyRefusals }, "the server accepts reports again");
          this.busyRefusals = 0;
          this.busyPauses = 0;
        }
        this.o.log.debug({ event, records: seqs.length, stored: ack.data.data.stored }, "reported");
      } else if (ack.data.error.code === "PAYLOAD_TOO_LARGE" && seqs.length > 1) {
        // Too big together, maybe fine apart: smaller batches from now on, nothing dropped.
        this.batch = Math.max(1, Math.floor(seqs.length / 2));
        this.o.log.warn(
          { event, records: seqs.length, maxBatch: this.batch },
          "a batch was too large; sending smaller ones",
        );
      } else if (ack.data.error.code === "BUSY") {
        this.busyRefusals += 1;
        if (this.busyRefusals === 1) {
          this.o.log.warn({ event, reason: ack.data.error.message }, "the server is busy; pausing reports");
        }
        if (socket === this.socket) this.pauseForBusy();
      } else if (FINAL_REFUSALS.has(ack.data.error.code)) {
        result = "dropped";
        this.o.log.warn(
          { event, code: ack.data.error.code, reason: ack.data.error.message, records: seqs.length },
          "the server refused records that a resend cannot fix; dropped them",
        );
      } else {
        this.o.log.warn(
          { event, code: ack.data.error.code, reason: ack.data.error.message },
          "the server refused a report; will resend",
        );
      }
    } catch {
      if (socket === this.socket)
        this.o.log.warn({ event, timeoutMs: this.o.ackTimeoutMs }, "no answer to a report; will resend");
    }
    if (socket === this.socket) for (const q of seqs) this.inFlight[lane].delete(q);
    if (result !== "retry") this.o.buffer.ack(seqs);
    return result;
  }

  /**
   * Stops sending for a while rather than resending at once, which would only add to the load the server is
   * shedding. Answers to reports already in flight do not extend the pause; refusals after it lengthen the next.
   */
  private pauseForBusy(): void {
    if (this.resumeTimer) return;
    const delayMs = backoffDelayMs(
      this.busyPauses,
      this.o.random ?? Math.random,
      this.o.busyBackoff ?? DEFAULT_BUSY_BACKOFF,
    );
    this.busyPauses += 1;
    this.o.log.debug({ retryInMs: delayMs, pauses: this.busyPauses }, "pausing reports after BUSY");
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.kick();
    }, delayMs);
    // Stopping the agent does not wait for the pause: what is unsent stays in the buffer.
    this.resumeTimer.unref();
  }
}
