import { randomUUID } from "node:crypto";
import {
  type AgentEvent,
  type AgentEventKind,
  ackSchema,
  type SignedRunResult,
  type TelemetrySample,
  telemetryPushedSchema,
  telemetryRefusedSchema,
  telemetryReportAckSchema,
  type WireError,
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

/** Live pushes of this connection awaiting the server's confirmation, by number (ascending: a Map keeps order). */
interface Pushes {
  confirmMs: number;
  count: number;
  waiting: Map<number, { seqs: number[]; at: number }>;
  timer: NodeJS.Timeout | null;
  onPushed: (raw: unknown) => void;
  onRefused: (raw: unknown) => void;
}

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
 * and go afterwards in batches. Where the server offers it, the live lane pushes each sample without an ack of its
 * own and the server confirms them together every few seconds (`telemetry:pushed`); until then they stay in the
 * buffer, and a push the server refuses is answered alone, as a report would be.
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
  /** The live lane's pushes on this connection; null where every report waits for its own ack. */
  private pushes: Pushes | null = null;

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

  /**
   * Online: the partial offline window goes to the buffer, then the replay starts. `pushConfirmMs`: the server's
   * offer of the push lane (its config), confirming at most that many ms apart.
   */
  attach(socket: AgentSocket, pushConfirmMs?: number): void {
    this.flushRollup();
    this.socket = socket;
    if (pushConfirmMs !== undefined) {
      const pushes: Pushes = {
        confirmMs: pushConfirmMs,
        count: 0,
        waiting: new Map(),
        timer: null,
        onPushed: (raw) => this.onPushed(socket, raw),
        onRefused: (raw) => this.onRefused(socket, raw),
      };
      socket.on("telemetry:pushed", pushes.onPushed);
      socket.on("telemetry:refused", pushes.onRefused);
      this.pushes = pushes;
    }
    this.kick();
  }

  detach(): void {
    const socket = this.socket;
    this.socket = null;
    if (this.pushes) {
      socket?.off("telemetry:pushed", this.pushes.onPushed);
      socket?.off("telemetry:refused", this.pushes.onRefused);
      if (this.pushes.timer) clearTimeout(this.pushes.timer);
      this.pushes = null;
    }
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
    if (this.pushes) {
      this.push(socket, this.pushes, seq, sample);
      // As after each answered report: a backlog left by a refusal (the database away) goes again now, not at the
      // next confirmation.
      this.kick();
    } else void this.send(socket, "t", [seq], [sample]).then(() => this.kick());
  }

  private push(socket: AgentSocket, pushes: Pushes, seq: number, sample: TelemetrySample): void {
    pushes.count += 1;
    pushes.waiting.set(pushes.count, { seqs: [seq], at: this.now() });
    socket.emit("telemetry:push", { samples: [sample] });
    // A timer already set waits for an older push, which times out first.
    if (!pushes.timer) this.armPushTimeout(pushes);
  }

  /** Every push up to `upTo` not refused meanwhile is stored: out of the buffer. */
  private onPushed(socket: AgentSocket, raw: unknown): void {
    const pushes = this.pushes;
    const parsed = telemetryPushedSchema.safeParse(raw);
    if (!pushes || socket !== this.socket || !parsed.success) return;
    const stored: number[] = [];
    for (const [n, p] of pushes.waiting) {
      if (n > parsed.data.upTo) break;
      pushes.waiting.delete(n);
      stored.push(...p.seqs);
    }
    for (const q of stored) this.inFlight.t.delete(q);
    if (stored.length > 0) {
      this.o.buffer.ack(stored);
      this.outcome(socket, "telemetry:push", stored.length, null);
      this.o.log.debug({ event: "telemetry:push", records: stored.length, stored: parsed.data.stored }, "reported");
    }
    this.armPushTimeout(pushes);
    this.kick();
  }

  private onRefused(socket: AgentSocket, raw: unknown): void {
    const pushes = this.pushes;
    const parsed = telemetryRefusedSchema.safeParse(raw);
    if (!pushes || socket !== this.socket || !parsed.success) return;
    const p = pushes.waiting.get(parsed.data.push);
    if (!p) return;
    pushes.waiting.delete(parsed.data.push);
    for (const q of p.seqs) this.inFlight.t.delete(q);
    if (this.outcome(socket, "telemetry:push", p.seqs.length, parsed.data.error) !== "retry") this.o.buffer.ack(p.seqs);
    this.armPushTimeout(pushes);
    // A push to send again goes through the replay lane, unless the answer was BUSY (then after the pause).
    this.kick();
  }

  /**
   * A push left unconfirmed past the ack timeout plus the server's confirmation interval is taken as lost: its
   * samples go again through the replay lane (the server stores a sample once however often it comes).
   */
  private armPushTimeout(pushes: Pushes): void {
    if (pushes.timer) clearTimeout(pushes.timer);
    pushes.timer = null;
    const oldest = pushes.waiting.values().next();
    if (oldest.done) return;
    const limit = this.o.ackTimeoutMs + pushes.confirmMs;
    pushes.timer = setTimeout(
      () => {
        pushes.timer = null;
        if (pushes !== this.pushes) return;
        const now = this.now();
        let lost = 0;
        for (const [n, p] of pushes.waiting) {
          if (p.at + limit > now) break;
          pushes.waiting.delete(n);
          for (const q of p.seqs) this.inFlight.t.delete(q);
          lost += 1;
        }
        if (lost > 0) this.o.log.warn({ pushes: lost, timeoutMs: limit }, "live samples not confirmed; will resend");
        this.armPushTimeout(pushes);
        this.kick();
      },
      Math.max(0, oldest.value.at + limit - this.now()),
    );
    // Stopping the agent does not wait for it: what is unconfirmed stays in the buffer.
    pushes.timer.unref();
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
      } else {
        result = this.outcome(socket, event, seqs.length, ack.data.ok ? null : ack.data.error);
        if (ack.data.ok) this.o.log.debug({ event, records: seqs.length, stored: ack.data.data.stored }, "reported");
      }
    } catch {
      if (socket === this.socket)
        this.o.log.warn({ event, timeoutMs: this.o.ackTimeoutMs }, "no answer to a report; will resend");
    }
    if (socket === this.socket) for (const q of seqs) this.inFlight[lane].delete(q);
    if (result !== "retry") this.o.buffer.ack(seqs);
    return result;
  }

  /** What the server's answer (null: accepted) means for the records it covers: kept, dropped, or sent again. */
  private outcome(socket: AgentSocket, event: string, records: number, error: WireError | null): SendResult {
    if (!error) {
      this.lastSend = this.now();
      if (this.busyRefusals > 0) {
        this.o.log.info({ event, refusals: this.busyRefusals }, "the server accepts reports again");
        this.busyRefusals = 0;
        this.busyPauses = 0;
      }
      return "acked";
    }
    if (error.code === "PAYLOAD_TOO_LARGE" && records > 1) {
      // Too big together, maybe fine apart: smaller batches from now on, nothing dropped.
      this.batch = Math.max(1, Math.floor(records / 2));
      this.o.log.warn({ event, records, maxBatch: this.batch }, "a batch was too large; sending smaller ones");
      return "retry";
    }
    if (error.code === "BUSY") {
      this.busyRefusals += 1;
      if (this.busyRefusals === 1)
        this.o.log.warn({ event, reason: error.message }, "the server is busy; pausing reports");
      if (socket === this.socket) this.pauseForBusy();
      return "retry";
    }
    if (FINAL_REFUSALS.has(error.code)) {
      this.o.log.warn(
        { event, code: error.code, reason: error.message, records },
        "the server refused records that a resend cannot fix; dropped them",
      );
      return "dropped";
    }
    this.o.log.warn({ event, code: error.code, reason: error.message }, "the server refused a report; will resend");
    return "retry";
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
