import {
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  agentConfigSchema,
  type InventoryInput,
  PROTOCOL_VERSION,
  type ServerToAgentEvents,
  telemetryPushedSchema,
} from "@labfleet/protocol";
import type { Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import type { DeviceModel } from "./personality.ts";
import type { DeviceCredential } from "./state-file.ts";

type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

const ACK_TIMEOUT_MS = 10_000;
/** Until the server says otherwise (it always does on connect). */
const DEFAULT_INTERVAL_MS = 10_000;

export interface SimDeviceStats {
  sent: number;
  stored: number;
  refused: number;
  connects: number;
}

/**
 * One simulated agent: one socket.io connection on /agent with the device's credential, an inventory on every
 * connect, a sample per interval that the server sets with `config:updated`. Offline windows of the model close
 * the socket and open it again later, as a machine that lost its network would.
 */
export class SimDevice {
  readonly stats: SimDeviceStats = { sent: 0, stored: 0, refused: 0, connects: 0 };
  intervalMs = DEFAULT_INTERVAL_MS;
  /** Set when the server refused the credential: the device stays down. */
  fatal: string | null = null;
  private socket: AgentSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Handshakes refused in a row (BUSY): the next try waits longer. */
  private refusedInARow = 0;
  private stopped = false;
  /** The server offered the push lane on this connection (its first config): samples go without an ack each. */
  private pushing = false;

  constructor(
    private readonly url: string,
    readonly credential: DeviceCredential,
    readonly model: DeviceModel,
    private readonly inventory: InventoryInput,
    private readonly agentVersion: string,
    private readonly log: Logger,
    /** When set, the device reports at this pace whatever the server asks (load tests). */
    private readonly fixedIntervalMs: number | null = null,
  ) {
    if (fixedIntervalMs) this.intervalMs = fixedIntervalMs;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  start(): void {
    // Spread the first ticks so that a thousand devices do not all report in the same millisecond.
    this.schedule(Math.floor(Math.random() * 1000));
  }

  private open(): void {
    const socket: AgentSocket = io(`${this.url}${AGENT_NAMESPACE}`, {
      transports: ["websocket"],
      forceNew: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
      auth: {
        deviceId: this.credential.deviceId,
        secret: this.credential.secret,
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: this.agentVersion,
      },
    });
    socket.on("connect", () => {
      this.stats.connects++;
      this.refusedInARow = 0;
      this.pushing = false;
      socket.timeout(ACK_TIMEOUT_MS).emit("inventory:report", this.inventory, () => undefined);
    });
    socket.on("config:updated", (raw) => {
      const cfg = agentConfigSchema.safeParse(raw);
      if (!cfg.success) return;
      if (cfg.data.pushConfirmMs !== undefined) this.pushing = true;
      if (this.fixedIntervalMs) return;
      const changed = cfg.data.telemetryIntervalMs !== this.intervalMs;
      this.intervalMs = cfg.data.telemetryIntervalMs;
      // Someone started watching: report at the new pace now rather than after the old, longer wait.
      if (changed) this.schedule(Math.min(this.intervalMs, 250));
    });
    // As the agent: confirmations of pushes count what was stored; a refusal is counted, never resent (no buffer).
    socket.on("telemetry:pushed", (raw) => {
      const ok = telemetryPushedSchema.safeParse(raw);
      if (ok.success) this.stats.stored += ok.data.stored;
    });
    socket.on("telemetry:refused", () => {
      this.stats.refused++;
    });
    socket.on("device:revoked", ({ reason }) => this.giveUp(`revoked: ${reason}`));
    socket.on("connect_error", (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (code === "BAD_CREDENTIAL" || code === "DEVICE_REVOKED" || code === "PROTOCOL_MISMATCH") this.giveUp(code);
      // socket.io does not retry a refusal by the server's middleware (BUSY while it admits others): as the agent.
      else if (!socket.active) this.retryAfterRefusal(socket);
    });
    this.socket = socket;
  }

  private close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  /** Jittered exponential backoff, as socket.io's own reconnection: 1 s doubling to 10 s, ±50 %. */
  private retryAfterRefusal(socket: AgentSocket): void {
    const capMs = Math.min(10_000, 1000 * 2 ** Math.min(this.refusedInARow, 10));
    this.refusedInARow++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        if (!this.stopped && !this.fatal && this.socket === socket) socket.connect();
      },
      capMs * (0.5 + Math.random()),
    );
    this.retryTimer.unref?.();
  }

  private giveUp(reason: string): void {
    if (this.fatal) return;
    this.fatal = reason;
    this.log.warn({ hostname: this.credential.hostname, reason }, "simulated device stopped by the server");
    this.close();
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped || this.fatal) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref?.();
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped || this.fatal) return;
    const ts = Date.now();
    const online = this.model.isOnline(ts);
    if (!online) {
      if (this.socket) this.close();
    } else if (!this.socket) {
      this.open();
    }
    // The model runs on while offline (its clock keeps going), but nothing is sent: the simulator has no buffer.
    const sample = this.model.sample(ts);
    if (online && this.socket?.connected && this.pushing) {
      this.stats.sent++;
      this.socket.emit("telemetry:push", { samples: [sample] });
    } else if (online && this.socket?.connected) {
      this.stats.sent++;
      this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck("telemetry:report", { samples: [sample] })
        .then((res) => {
          if (res.ok) this.stats.stored += res.data.stored;
          else this.stats.refused++;
        })
        .catch(() => undefined);
    }
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.close();
  }
}
