import type {
  AgentConfig,
  DeviceSnapshot,
  DeviceSummary,
  ServerToAgentEvents,
  ServerToDashboardEvents,
  TelemetrySample,
} from "@labfleet/protocol";
import type { Namespace } from "socket.io";
import { AppError } from "../errors.ts";
import type { Db } from "../services/deps.ts";
import { type DeviceRow, getDeviceRow, listDeviceRows, markSeen } from "../services/device.ts";
import { latestSamples, recentSamples } from "../services/telemetry.ts";

export interface TelemetryIntervals {
  /** While someone watches the device (its page, or the fleet page). */
  watchedMs: number;
  /** Otherwise. */
  idleMs: number;
}

export const FLEET_ROOM = "fleet";
export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/** Samples kept per device for a new watcher's chart: five minutes at one a second. */
const RECENT_LIMIT = 300;
/** lastSeenAt is a coarse "when did we last hear from it": one write every few seconds is plenty. */
const SEEN_WRITE_EVERY_MS = 5_000;

interface AgentHandle {
  emit<E extends keyof ServerToAgentEvents>(event: E, ...args: Parameters<ServerToAgentEvents[E]>): unknown;
  disconnect(close?: boolean): unknown;
}

/**
 * The live state of the fleet in this process: which devices are connected, who watches what, the latest
 * sample of each device. It decides how often each agent reports and pushes every change to the dashboards.
 */
export class FleetHub {
  private readonly agents = new Map<string, AgentHandle>();
  private readonly intervals = new Map<string, number>();
  private readonly latest = new Map<string, TelemetrySample>();
  private readonly seenWrittenAt = new Map<string, number>();
  /** Rows of connected devices, so that a sample does not cost a database read. */
  private readonly rows = new Map<string, DeviceRow>();
  /** Bookkeeping still running (a disconnect being recorded); awaited before the database closes. */
  private readonly pending = new Set<Promise<unknown>>();
  /** room -> dashboard socket ids in it. */
  private readonly watchers = new Map<string, Set<string>>();

  constructor(
    private readonly db: Db,
    private readonly dashboards: Namespace<Record<string, never>, ServerToDashboardEvents>,
    private readonly config: TelemetryIntervals,
  ) {}

  isOnline(deviceId: string): boolean {
    return this.agents.has(deviceId);
  }

  onlineCount(): number {
    return this.agents.size;
  }

  summarize(row: DeviceRow): DeviceSummary {
    return {
      id: row.id,
      name: row.name,
      hostname: row.hostname,
      labId: row.labId,
      status: row.revokedAt ? "revoked" : this.isOnline(row.id) ? "online" : "offline",
      lastSeenAt: row.lastSeenAt?.getTime() ?? null,
      simulated: row.simulated,
      latest: this.latest.get(row.id) ?? null,
    };
  }

  async fleetSnapshot(): Promise<DeviceSummary[]> {
    const rows = await listDeviceRows(this.db);
    const missing = rows.filter((r) => !this.latest.has(r.id)).map((r) => r.id);
    if (missing.length > 0) {
      for (const [id, sample] of await latestSamples(this.db, missing)) this.latest.set(id, sample);
    }
    return rows.map((r) => this.summarize(r));
  }

  async deviceSnapshot(deviceId: string): Promise<DeviceSnapshot> {
    const row = await getDeviceRow(this.db, deviceId);
    if (!row) throw new AppError("NOT_FOUND", "That device does not exist.");
    const recent = await recentSamples(this.db, deviceId, RECENT_LIMIT);
    const last = recent.at(-1);
    if (last && !this.latest.has(deviceId)) this.latest.set(deviceId, last);
    return { device: this.summarize(row), recent };
  }

  /** Re-reads a device and broadcasts its summary to the dashboards that watch it. */
  async publishDevice(deviceId: string): Promise<void> {
    const row = await getDeviceRow(this.db, deviceId);
    if (!row) {
      this.rows.delete(deviceId);
      return;
    }
    if (this.agents.has(deviceId)) this.rows.set(deviceId, row);
    this.emitSummary(row);
  }

  private emitSummary(row: DeviceRow): void {
    this.dashboards.to([FLEET_ROOM, deviceRoom(row.id)]).emit("device:updated", this.summarize(row));
  }

  agentConnected(deviceId: string, socket: AgentHandle): void {
    const previous = this.agents.get(deviceId);
    // One live connection per device: a second one (a restarted agent whose old socket has not timed out yet) wins.
    if (previous && previous !== socket) previous.disconnect(true);
    this.agents.set(deviceId, socket);
    this.intervals.delete(deviceId);
    this.pushConfig(deviceId);
  }

  /** Records a disconnect in the background; `drain()` waits for it. */
  agentDisconnected(deviceId: string, socket: AgentHandle): Promise<void> {
    const p = this.recordDisconnect(deviceId, socket);
    this.pending.add(p);
    p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async recordDisconnect(deviceId: string, socket: AgentHandle): Promise<void> {
    if (this.agents.get(deviceId) !== socket) return;
    this.agents.delete(deviceId);
    this.intervals.delete(deviceId);
    this.rows.delete(deviceId);
    await markSeen(this.db, deviceId).catch(() => undefined);
    this.seenWrittenAt.delete(deviceId);
    await this.publishDevice(deviceId);
  }

  async samplesStored(deviceId: string, samples: TelemetrySample[]): Promise<void> {
    let newest = this.latest.get(deviceId);
    for (const s of samples) if (!newest || s.ts >= newest.ts) newest = s;
    if (newest) this.latest.set(deviceId, newest);
    const now = Date.now();
    let row = this.rows.get(deviceId) ?? (await getDeviceRow(this.db, deviceId));
    if (!row) return;
    if (now - (this.seenWrittenAt.get(deviceId) ?? 0) >= SEEN_WRITE_EVERY_MS) {
      this.seenWrittenAt.set(deviceId, now);
      await markSeen(this.db, deviceId, new Date(now));
      row = { ...row, lastSeenAt: new Date(now) };
    }
    if (this.agents.has(deviceId)) this.rows.set(deviceId, row);
    const room = this.dashboards.to(deviceRoom(deviceId));
    for (const sample of samples) room.emit("telemetry:sampled", { deviceId, sample });
    this.emitSummary(row);
  }

  /** Cuts a device off at once: it is told why, then its socket is closed. */
  disconnectDevice(deviceId: string, reason: string): void {
    const socket = this.agents.get(deviceId);
    if (!socket) return;
    socket.emit("device:revoked", { reason });
    socket.disconnect(true);
  }

  watch(socketId: string, room: string): void {
    let set = this.watchers.get(room);
    if (!set) {
      set = new Set();
      this.watchers.set(room, set);
    }
    set.add(socketId);
    this.recomputeIntervals(room);
  }

  unwatch(socketId: string, room: string): void {
    const set = this.watchers.get(room);
    if (!set?.delete(socketId)) return;
    if (set.size === 0) this.watchers.delete(room);
    this.recomputeIntervals(room);
  }

  unwatchAll(socketId: string): void {
    for (const room of [...this.watchers.keys()]) this.unwatch(socketId, room);
  }

  intervalFor(deviceId: string): number {
    const watched =
      (this.watchers.get(FLEET_ROOM)?.size ?? 0) > 0 || (this.watchers.get(deviceRoom(deviceId))?.size ?? 0) > 0;
    return watched ? this.config.watchedMs : this.config.idleMs;
  }

  private recomputeIntervals(room: string): void {
    if (room === FLEET_ROOM) {
      for (const id of this.agents.keys()) this.pushConfig(id);
    } else if (room.startsWith("device:")) {
      this.pushConfig(room.slice("device:".length));
    }
  }

  private pushConfig(deviceId: string): void {
    const socket = this.agents.get(deviceId);
    if (!socket) return;
    const ms = this.intervalFor(deviceId);
    if (this.intervals.get(deviceId) === ms) return;
    this.intervals.set(deviceId, ms);
    const config: AgentConfig = { telemetryIntervalMs: ms };
    socket.emit("config:updated", config);
  }
}
