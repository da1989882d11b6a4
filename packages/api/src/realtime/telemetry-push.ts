import {
  type AgentToServerEvents,
  type ServerToAgentEvents,
  type TelemetrySample,
  telemetryReportSchema,
  type WireError,
} from "@labfleet/protocol";
import type { Socket } from "socket.io";
import type { Logger } from "../logger.ts";
import { checkPayload, type EdgeCounters, handlerFailure } from "./handle.ts";

/** How often the server confirms live pushes when its configuration does not say (LABFLEET_TELEMETRY_CONFIRM_MS). */
export const DEFAULT_PUSH_CONFIRM_MS = 5_000;

/**
 * Pushes of one device waiting to be stored on this process. They are stored one after another, so a device that
 * pushes faster than its samples are stored (the database is away) is told BUSY beyond this instead of growing a
 * queue here; the agent keeps the samples in its buffer and sends them again later.
 */
export const MAX_PUSHES_WAITING = 16;

type PushSocket = Pick<Socket<AgentToServerEvents, ServerToAgentEvents>, "on" | "emit">;

/** One connection's pushes: numbered as they arrive, handled in that order. */
interface Lane {
  socket: PushSocket;
  arrived: number;
  /** Every push up to this number has been stored or refused. */
  handled: number;
  /** The last number told to the agent. */
  confirmed: number;
  /** New samples stored since the last confirmation. */
  stored: number;
  /** When this connection was last confirmed (at attach: a random point of the last period). */
  confirmedAt: number;
  waiting: number;
  tail: Promise<void>;
  open: boolean;
}

export interface PushLanesOptions {
  /** Most ms between confirmations of a connection's pushes. */
  confirmMs: number;
  counters: EdgeCounters;
  now?: () => number;
  /** In [0, 1), like Math.random: where in a period each connection's confirmations fall. */
  random?: () => number;
}

/** Sweeps per confirmation period: each confirms the connections whose period has run out. */
const SWEEPS_PER_PERIOD = 20;

/**
 * The live telemetry lane (`telemetry:push`): each push is checked at the edge as any event, stored in arrival
 * order, and confirmed together with the others of its connection every `confirmMs` (`telemetry:pushed`: every
 * push up to a number). A push that was not stored is answered at once, alone (`telemetry:refused`), so a
 * confirmation always follows the refusals it covers. One timer serves every connection of the process; each
 * connection's confirmations fall at its own point of the period, so that thousands of devices that connected
 * together (a restart) are not all answered in the same instant, which would stall everything behind them.
 */
export class PushLanes {
  private readonly due = new Set<Lane>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: PushLanesOptions) {
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => this.confirmDue(), Math.max(1, Math.floor(o.confirmMs / SWEEPS_PER_PERIOD)));
    this.timer.unref();
  }

  /** Takes `telemetry:push` on a device's socket; `store` answers how many of the samples were new. */
  attach(socket: PushSocket, log: Logger, store: (samples: TelemetrySample[]) => Promise<number>): void {
    const lane: Lane = {
      socket,
      arrived: 0,
      handled: 0,
      confirmed: 0,
      stored: 0,
      confirmedAt: this.now() - (this.o.random ?? Math.random)() * this.o.confirmMs,
      waiting: 0,
      tail: Promise.resolve(),
      open: true,
    };
    const refuse = (push: number, error: WireError) => {
      this.o.counters.count(error.code);
      if (lane.open) socket.emit("telemetry:refused", { push, error });
    };
    const settle = (push: number) => {
      lane.handled = push;
      if (lane.open) this.due.add(lane);
    };

    socket.on("telemetry:push", (...args: unknown[]) => {
      const push = ++lane.arrived;
      const checked =
        args.length === 1
          ? checkPayload(args[0], telemetryReportSchema)
          : ({
              ok: false,
              error: { code: "BAD_REQUEST", message: "telemetry:push takes one payload and no ack." },
            } as const);
      if (!checked.ok || lane.waiting >= MAX_PUSHES_WAITING) {
        refuse(
          push,
          checked.ok
            ? {
                code: "BUSY",
                message: "The server is still storing this device's earlier samples; send them again shortly.",
              }
            : checked.error,
        );
        // Its number is handled in turn, after the pushes ahead of it.
        lane.tail = lane.tail.then(() => settle(push));
        return;
      }
      lane.waiting++;
      const { samples } = checked.data;
      lane.tail = lane.tail.then(async () => {
        try {
          // Read after the await: a confirmation may have reset the count meanwhile.
          const stored = await store(samples);
          lane.stored += stored;
        } catch (e) {
          refuse(push, handlerFailure(e, "telemetry:push", log));
        } finally {
          lane.waiting--;
          settle(push);
        }
      });
    });
    socket.on("disconnect", () => {
      // What was not confirmed stays in the agent's buffer and is replayed on its next connection.
      lane.open = false;
      this.due.delete(lane);
    });
  }

  /** Confirms the connections whose period has run out. */
  confirmDue(): void {
    const cutoff = this.now() - this.o.confirmMs;
    for (const lane of this.due) if (lane.confirmedAt <= cutoff) this.confirm(lane);
  }

  /** Tells every connection with newly handled pushes how far it got, whatever its period. */
  confirmAll(): void {
    for (const lane of this.due) this.confirm(lane);
  }

  private confirm(lane: Lane): void {
    this.due.delete(lane);
    lane.confirmedAt = this.now();
    if (lane.handled <= lane.confirmed) return;
    lane.socket.emit("telemetry:pushed", { upTo: lane.handled, stored: lane.stored });
    lane.confirmed = lane.handled;
    lane.stored = 0;
  }

  close(): void {
    clearInterval(this.timer);
    this.due.clear();
  }
}
