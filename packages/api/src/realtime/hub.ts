import type { Prisma } from "@labfleet/db";
import {
  type Ack,
  type AgentConfig,
  type AlertSummary,
  type DeploymentUpdated,
  type DeviceSnapshot,
  type DeviceSummary,
  type LabSnapshot,
  type RunCancel,
  type RunStartInput,
  type RunUpdated,
  type SampleDigest,
  type ServerToAgentEvents,
  type ServerToDashboardEvents,
  sampleDigest,
  type TelemetrySample,
} from "@labfleet/protocol";
import type { Namespace } from "socket.io";
import { AppError } from "../errors.ts";
import { desiredModelsFor } from "../services/deployments/desired.ts";
import type { Db } from "../services/deps.ts";
import { type DeviceRow, getDeviceRow, listDeviceRows, markSeen, SeenWriter } from "../services/device.ts";
import { getLabLayout } from "../services/lab.ts";
import { noteLateTelemetry, ROLLUP_LOOKBACK_MS } from "../services/rollup.ts";
import { latestSamples, recentSamples } from "../services/telemetry.ts";
import type { ScaleOut, ScaleOutHost } from "./scale-out.ts";
import { DirtyBatch, groupByRooms, SUMMARY_FLUSH_MS } from "./summary-batch.ts";

export interface TelemetryIntervals {
  /** While someone watches the device (its page, or the fleet page). */
  watchedMs: number;
  /** Otherwise. */
  idleMs: number;
  /** Cap of each agent's offline buffer, pushed on connect; the agent's own setting applies when absent. */
  bufferMaxBytes?: number;
  /** Most samples or events per replayed batch, pushed on connect. */
  maxBatch?: number;
  /**
   * Most ms between confirmations of live samples (`telemetry:push`), pushed on connect; absent or 0, every
   * report waits for its own ack.
   */
  pushConfirmMs?: number;
  /** Most time a summary that only carries a new sample waits to go with others (status changes go at once). */
  summaryFlushMs?: number;
}

/** An admin's fleet page: the summary of every device. */
export const FLEET_ROOM = "fleet";
/** An instructor's fleet page, once per lab they use: the summaries of that lab's devices. */
export const fleetLabRoom = (labId: string) => `fleet:lab:${labId}`;
export const deviceRoom = (deviceId: string) => `device:${deviceId}`;
export const labRoom = (labId: string) => `lab:${labId}`;
/** Every instructor's and admin's dashboard socket: news that carries only ids (lab sessions). */
export const STAFF_ROOM = "staff";
/** Every admin's dashboard socket: news of every device (alerts, deployments, runs). */
export const ADMIN_ROOM = "staff:all";
/** Every dashboard socket of the instructors who use a lab (fleet-scope.ts): news of that lab's devices. */
export const labStaffRoom = (labId: string) => `staff:lab:${labId}`;
/** One person's sockets: a student gets their own runs and their sessions' changes here. */
export const userRoom = (userId: string) => `user:${userId}`;

/** Samples kept per device for a new watcher's chart: five minutes at one a second. */
const RECENT_LIMIT = 300;

interface AgentHandle {
  emit<E extends keyof ServerToAgentEvents>(event: E, ...args: Parameters<ServerToAgentEvents[E]>): unknown;
  disconnect(close?: boolean): unknown;
  timeout(ms: number): {
    emitWithAck(event: "run:start", payload: RunStartInput): Promise<Ack<{ accepted: true }>>;
  };
}

/** Several processes on one Redis: the agents' namespace (commands to devices on other processes) and presence. */
export interface HubCluster {
  agents: Namespace;
  scaleOut: ScaleOut;
}

/**
 * The live state of the fleet in this process: which devices are connected, who watches what, the latest
 * sample of each device. It decides how often each agent reports and pushes every change to the dashboards.
 * With a cluster, devices held by other processes count as online, and commands to them go through Redis.
 */
export class FleetHub implements ScaleOutHost {
  private readonly agents = new Map<string, AgentHandle>();
  private readonly intervals = new Map<string, number>();
  private readonly latest = new Map<string, TelemetrySample>();
  /** lastSeenAt of the devices heard from, written in the background for all of them at once. */
  private seenWriter: SeenWriter | null = null;
  /** Rows of connected devices, so that a sample does not cost a database read. */
  private readonly rows = new Map<string, DeviceRow>();
  /** Bookkeeping still running (a disconnect being recorded); awaited before the database closes. */
  private readonly pending = new Set<Promise<unknown>>();
  /** room -> dashboard socket ids in it. */
  private readonly watchers = new Map<string, Set<string>>();
  /** device -> its lab, for the devices this process has seen; decides who reports fast while a lab is watched. */
  private readonly deviceLab = new Map<string, string | null>();
  /** Devices with a run going (as this process last published): they sample at the watched rate. */
  private readonly runningDevices = new Set<string>();
  /** run -> its student (null for staff runs), while the run goes on. */
  private readonly runStudents = new Map<string, Promise<string | null>>();
  /** Staff news waiting for a device's lab to be read, so that later news does not overtake it. */
  private staffQueue: Promise<void> | null = null;
  /** Devices with a new sample whose summary has not gone out yet: sent together every `summaryFlushMs`. */
  private readonly sampled: DirtyBatch<DeviceRow>;

  constructor(
    private readonly db: Db,
    private readonly dashboards: Namespace<Record<string, never>, ServerToDashboardEvents>,
    private readonly config: TelemetryIntervals,
    private readonly cluster: HubCluster | null = null,
  ) {
    this.sampled = new DirtyBatch(config.summaryFlushMs ?? SUMMARY_FLUSH_MS, (rows) => this.emitSampled(rows));
  }

  /** Connected to this process or, in scale-out, to any other. */
  isOnline(deviceId: string): boolean {
    return this.agents.has(deviceId) || (this.cluster?.scaleOut.isRemoteOnline(deviceId) ?? false);
  }

  onlineCount(): number {
    return this.agents.size + (this.cluster?.scaleOut.remoteCount() ?? 0);
  }

  localDeviceIds(): string[] {
    return [...this.agents.keys()];
  }

  localWatchedRooms(): string[] {
    return [...this.watchers.keys()];
  }

  remoteWatchesChanged(rooms: string[]): void {
    for (const room of rooms) this.recomputeIntervals(room);
  }

  /** Whether a dashboard on any process watches the room: broadcasts to rooms nobody watches stay off Redis. */
  private watchedAnywhere(room: string): boolean {
    return (this.watchers.get(room)?.size ?? 0) > 0 || (this.cluster?.scaleOut.watchedElsewhere(room) ?? false);
  }

  private liveRooms(rooms: string[]): string[] {
    return this.cluster ? rooms.filter((r) => this.watchedAnywhere(r)) : rooms;
  }

  /** Ids of the devices connected to this process (alert evaluation, metrics). */
  onlineDeviceIds(): string[] {
    return [...this.agents.keys()];
  }

  /**
   * Reads the newest stored sample of every device held by another process (one query), so that `latestSample`
   * is current for them too; a no-op with one process. Call before a pass over the whole fleet (alert evaluation).
   */
  async refreshRemoteSamples(): Promise<void> {
    const remote = this.cluster?.scaleOut.remoteDeviceIds() ?? [];
    if (remote.length === 0) return;
    for (const [id, sample] of await latestSamples(this.db, remote)) this.latest.set(id, sample);
  }

  /** The newest sample of a device, as kept in memory; null when none arrived since this process started. */
  latestSample(deviceId: string): TelemetrySample | null {
    return this.latest.get(deviceId) ?? null;
  }

  /**
   * Alerts go to every staff socket that may see the device (admins, the instructors of its lab), so that the badge
   * is live on every page; students never see them.
   */
  publishAlert(alert: AlertSummary): void {
    const rooms = alert.labId ? [ADMIN_ROOM, labStaffRoom(alert.labId)] : [ADMIN_ROOM];
    this.dashboards.to(rooms).emit("alert:updated", alert);
  }

  /** Deployments, like alerts, go to the staff who may see their devices. */
  publishDeployment(update: DeploymentUpdated): void {
    const emit = (rooms: string[]) => this.dashboards.to(rooms).emit("deployment:updated", update);
    if (update.deviceId) {
      this.toStaff([update.deviceId], emit);
      return;
    }
    this.track(
      this.db.prisma.deploymentDevice
        .findMany({ where: { deploymentId: update.deploymentId }, select: { deviceId: true } })
        .then((rows) =>
          this.toStaff(
            rows.map((r) => r.deviceId),
            emit,
          ),
        ),
    );
  }

  /** A run's change goes to the staff who may see its device, and to the student whose run it is (no other). */
  publishRun(update: RunUpdated): void {
    this.toStaff([update.deviceId], (rooms) => this.dashboards.to(rooms).emit("run:updated", update));
    this.publishRunToStudent(update);
    // A running device samples at the watched rate, so that its result's system stats (load, temperature,
    // throttling, power) rest on one sample a second, not one in ten.
    const running = update.status === "running" || update.status === "queued";
    if (running !== this.runningDevices.has(update.deviceId)) {
      if (running) this.runningDevices.add(update.deviceId);
      else this.runningDevices.delete(update.deviceId);
      this.pushConfig(update.deviceId);
    }
  }

  /**
   * The update's payload carries no student (the wire type is shared with staff views), so the run's student is
   * read once per run and kept while it goes on. Every update of a run chains on the same promise, so the
   * student's events keep their order.
   */
  private publishRunToStudent(update: RunUpdated): void {
    let student = this.runStudents.get(update.runId);
    if (!student) {
      student = this.db.prisma.run
        .findUnique({ where: { id: update.runId }, select: { studentId: true } })
        .then((r) => r?.studentId ?? null);
      this.runStudents.set(update.runId, student);
    }
    this.track(
      student.then((studentId) => {
        if (studentId) this.dashboards.to(userRoom(studentId)).emit("run:updated", update);
      }),
    );
    if (update.status !== "queued" && update.status !== "running") this.runStudents.delete(update.runId);
  }

  /**
   * Emits news of devices to the staff rooms that may hear it, in the order asked: at once when this process knows
   * every device's lab and nothing waits before it, else after the labs are read.
   */
  private toStaff(deviceIds: string[], emit: (rooms: string[]) => void): void {
    if (this.staffQueue === null && deviceIds.every((id) => this.deviceLab.has(id))) {
      emit(this.staffRoomsOf(deviceIds));
      return;
    }
    const queued = (this.staffQueue ?? Promise.resolve())
      .then(async () => {
        for (const id of deviceIds) {
          if (this.deviceLab.has(id)) continue;
          this.deviceLab.set(id, (await getDeviceRow(this.db, id))?.labId ?? null);
        }
        emit(this.staffRoomsOf(deviceIds));
      })
      .finally(() => {
        if (this.staffQueue === queued) this.staffQueue = null;
      });
    this.staffQueue = queued;
    this.track(queued);
  }

  private staffRoomsOf(deviceIds: string[]): string[] {
    const rooms = new Set([ADMIN_ROOM]);
    for (const id of deviceIds) {
      const labId = this.deviceLab.get(id);
      if (labId) rooms.add(labStaffRoom(labId));
    }
    return [...rooms];
  }

  /** Puts a person's dashboard sockets (on every process) in the staff rooms of the labs they now use. */
  joinStaffLabs(userId: string, labIds: string[]): void {
    if (labIds.length === 0) return;
    this.dashboards.in(userRoom(userId)).socketsJoin(labIds.map(labStaffRoom));
  }

  /** A lab session changed (status, check-ins, hands): its staff watchers and its students ask for it again. */
  publishSession(sessionId: string, studentIds: Iterable<string>): void {
    const rooms = [STAFF_ROOM, ...new Set([...studentIds].map(userRoom))];
    this.dashboards.to(rooms).emit("session:updated", { sessionId });
  }

  /** Takes a student's sockets out of a device's room (they checked out, or the session ended). */
  async releaseDeviceWatch(userId: string, deviceId: string): Promise<void> {
    const room = deviceRoom(deviceId);
    const sockets = await this.dashboards.in(userRoom(userId)).fetchSockets();
    for (const s of sockets) {
      s.leave(room);
      this.unwatch(s.id, room);
    }
  }

  /** Sends a connected device the full set of model versions it should hold; a no-op when it is not connected. */
  async sendDesiredModels(deviceId: string): Promise<void> {
    if (!this.isOnline(deviceId)) return;
    const models = await desiredModelsFor(this.db, deviceId);
    // Read again after the query: the device may have gone, or reconnected on a new socket, meanwhile.
    const local = this.agents.get(deviceId);
    if (local) local.emit("models:desired", { models });
    else this.remoteAgent(deviceId)?.emit("models:desired", { models });
  }

  /** The device's room on the agents' namespace, when another process holds it. */
  private remoteAgent(deviceId: string) {
    if (!this.cluster?.scaleOut.isRemoteOnline(deviceId)) return null;
    return this.cluster.agents.to(deviceRoom(deviceId));
  }

  /** Asks the agent to start a run and waits for its ack; rejects when it does not answer within `timeoutMs`. */
  async startRunOnAgent(deviceId: string, payload: RunStartInput, timeoutMs: number): Promise<Ack<{ accepted: true }>> {
    const socket = this.agents.get(deviceId);
    if (socket) return socket.timeout(timeoutMs).emitWithAck("run:start", payload);
    const remote = this.remoteAgent(deviceId);
    if (!remote) throw new AppError("CONFLICT", "the device is offline");
    // A broadcast with an ack answers with one reply per socket in the room, from whichever process holds it.
    const answers = (await remote.timeout(timeoutMs).emitWithAck("run:start", payload)) as Ack<{ accepted: true }>[];
    const first = answers[0];
    if (!first) throw new AppError("CONFLICT", "the device is offline");
    return first;
  }

  /** False when the device is not connected to any process. */
  cancelRunOnAgent(deviceId: string, payload: RunCancel): boolean {
    const socket = this.agents.get(deviceId);
    if (socket) {
      socket.emit("run:cancel", payload);
      return true;
    }
    const remote = this.remoteAgent(deviceId);
    if (!remote) return false;
    remote.emit("run:cancel", payload);
    return true;
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
      latest: digestOrNull(this.latest.get(row.id)),
    };
  }

  /** The summaries of every device `where` admits (a caller's scope). */
  async fleetSnapshot(where: Prisma.DeviceWhereInput = {}): Promise<DeviceSummary[]> {
    const rows = await listDeviceRows(this.db, where);
    // Samples of devices held by another process are not kept here: read them (one query), not their sockets.
    const missing = rows.filter((r) => !this.latest.has(r.id) || this.isRemote(r.id)).map((r) => r.id);
    if (missing.length > 0) {
      for (const [id, sample] of await latestSamples(this.db, missing)) this.latest.set(id, sample);
    }
    return rows.map((r) => this.summarize(r));
  }

  private isRemote(deviceId: string): boolean {
    return !this.agents.has(deviceId) && (this.cluster?.scaleOut.isRemoteOnline(deviceId) ?? false);
  }

  async deviceSnapshot(deviceId: string): Promise<DeviceSnapshot> {
    const row = await getDeviceRow(this.db, deviceId);
    if (!row) throw new AppError("NOT_FOUND", "That device does not exist.");
    const recent = await recentSamples(this.db, deviceId, RECENT_LIMIT);
    const last = recent.at(-1);
    if (last && (!this.latest.has(deviceId) || this.isRemote(deviceId))) this.latest.set(deviceId, last);
    return { device: this.summarize(row), recent };
  }

  /** Re-reads a device and broadcasts its summary to the dashboards that watch it. */
  async publishDevice(deviceId: string): Promise<void> {
    const row = await getDeviceRow(this.db, deviceId);
    if (!row) {
      this.rows.delete(deviceId);
      this.sampled.drop(deviceId);
      return;
    }
    if (this.agents.has(deviceId)) this.rows.set(deviceId, row);
    this.emitSummary(row);
  }

  /** At once: a change someone waits to see (status, name, lab). It carries the latest sample too. */
  private emitSummary(row: DeviceRow): void {
    this.noteLab(row.id, row.labId);
    this.sampled.drop(row.id);
    const rooms = this.liveRooms(summaryRooms(row));
    if (rooms.length > 0) this.dashboards.to(rooms).emit("device:updated", this.summarize(row));
  }

  /**
   * The summaries of the devices that reported since the last flush, one emit per set of rooms. Each summary goes to
   * exactly the rooms `emitSummary` would send it to (an instructor's lab rooms see their lab's devices only); rooms
   * nobody watches are left out, so that devices watched alike share one emit.
   */
  private emitSampled(rows: DeviceRow[]): void {
    const items = [];
    for (const row of rows) {
      this.noteLab(row.id, row.labId);
      const rooms = summaryRooms(row).filter((r) => this.watchedAnywhere(r));
      if (rooms.length > 0) items.push({ rooms, item: this.summarize(row) });
    }
    for (const group of groupByRooms(items)) {
      this.dashboards.to(group.rooms).emit("devices:updated", { devices: group.items });
    }
  }

  /** Records a device's lab; when it moved, its report interval may change (the new lab may be watched). */
  private noteLab(deviceId: string, labId: string | null): void {
    const known = this.deviceLab.has(deviceId);
    if (known && this.deviceLab.get(deviceId) === labId) return;
    this.deviceLab.set(deviceId, labId);
    if (known) this.pushConfig(deviceId);
  }

  /** The room map of a lab: its seats and the live summaries of its devices. */
  async labSnapshot(labId: string): Promise<LabSnapshot> {
    const layout = await getLabLayout(this.db, labId);
    const missing = layout.devices.filter((r) => !this.latest.has(r.id)).map((r) => r.id);
    if (missing.length > 0) {
      for (const [id, sample] of await latestSamples(this.db, missing)) this.latest.set(id, sample);
    }
    for (const row of layout.devices) this.deviceLab.set(row.id, row.labId);
    return { lab: layout.lab, seats: layout.seats, devices: layout.devices.map((r) => this.summarize(r)) };
  }

  /** Tells the watchers of these labs that the layout changed, and re-publishes the devices that moved. */
  async publishLabsChanged(labIds: Iterable<string | null>, deviceIds: Iterable<string> = []): Promise<void> {
    for (const id of deviceIds) await this.publishDevice(id);
    for (const labId of new Set(labIds)) {
      if (labId) this.dashboards.to(labRoom(labId)).emit("lab:changed", { labId });
    }
  }

  agentConnected(
    deviceId: string,
    socket: AgentHandle,
    known: { inventoryHash: string | null; labId?: string | null } = { inventoryHash: null },
  ): void {
    const previous = this.agents.get(deviceId);
    // One live connection per device: a second one (a restarted agent whose old socket has not timed out yet) wins.
    if (previous && previous !== socket) previous.disconnect(true);
    this.agents.set(deviceId, socket);
    this.cluster?.scaleOut.deviceUp(deviceId);
    this.intervals.delete(deviceId);
    // The handshake read the device's lab: its first config already has the right pace, and nothing is read again.
    if (known.labId !== undefined) this.deviceLab.set(deviceId, known.labId);
    // The first config of a connection carries the limits and the inventory fingerprint the server holds.
    this.pushConfig(deviceId, {
      inventoryHash: known.inventoryHash,
      ...(this.config.bufferMaxBytes ? { bufferMaxBytes: this.config.bufferMaxBytes } : {}),
      ...(this.config.maxBatch ? { maxBatch: this.config.maxBatch } : {}),
      ...(this.config.pushConfirmMs ? { pushConfirmMs: this.config.pushConfirmMs } : {}),
    });
    if (!this.deviceLab.has(deviceId)) this.track(this.learnLab(deviceId));
  }

  /** A device first seen on connect: its lab decides whether a watched room map wants it fast. */
  private async learnLab(deviceId: string): Promise<void> {
    const row = await getDeviceRow(this.db, deviceId);
    if (!row || this.deviceLab.has(deviceId)) return;
    this.deviceLab.set(deviceId, row.labId);
    this.pushConfig(deviceId);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    p.catch((err: unknown) => this.db.log.warn({ err }, "hub bookkeeping failed")).finally(() =>
      this.pending.delete(p),
    );
  }

  /** Records a disconnect in the background; `drain()` waits for it. */
  agentDisconnected(deviceId: string, socket: AgentHandle): Promise<void> {
    const p = this.recordDisconnect(deviceId, socket);
    this.pending.add(p);
    p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** Waits for the bookkeeping under way, sends the summaries due and writes every lastSeenAt noted so far. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.sampled.flush();
    await this.seenWriter?.flush();
  }

  private async recordDisconnect(deviceId: string, socket: AgentHandle): Promise<void> {
    if (this.agents.get(deviceId) !== socket) return;
    this.agents.delete(deviceId);
    this.cluster?.scaleOut.deviceDown(deviceId);
    this.intervals.delete(deviceId);
    this.rows.delete(deviceId);
    this.seen.forget(deviceId);
    await markSeen(this.db, deviceId).catch(() => undefined);
    await this.publishDevice(deviceId);
  }

  private get seen(): SeenWriter {
    this.seenWriter ??= new SeenWriter(this.db);
    return this.seenWriter;
  }

  async samplesStored(deviceId: string, samples: TelemetrySample[]): Promise<void> {
    let newest = this.latest.get(deviceId);
    for (const s of samples) if (!newest || s.ts >= newest.ts) newest = s;
    if (newest) this.latest.set(deviceId, newest);
    const now = Date.now();
    // A replayed offline buffer is older than the roll-up job looks back: have it rebuild this device from there.
    const oldest = samples.reduce((min, s) => Math.min(min, s.ts), now);
    if (oldest < now - ROLLUP_LOOKBACK_MS) this.track(noteLateTelemetry(this.db, deviceId, oldest));
    let row = this.rows.get(deviceId) ?? (await getDeviceRow(this.db, deviceId));
    if (!row) return;
    // Shown at once; written to the database with every other device due, off this path.
    if (this.seen.note(deviceId, now)) row = { ...row, lastSeenAt: new Date(now) };
    if (this.agents.has(deviceId)) this.rows.set(deviceId, row);
    // Checked with one process too: an emit to a room nobody is in still encodes the packet, once per sample.
    if (this.watchedAnywhere(deviceRoom(deviceId))) {
      const room = this.dashboards.to(deviceRoom(deviceId));
      for (const sample of samples) room.emit("telemetry:sampled", { deviceId, sample });
    }
    this.sampled.mark(deviceId, row);
  }

  /** Cuts a device off at once: it is told why, then its socket is closed. */
  disconnectDevice(deviceId: string, reason: string): void {
    const socket = this.agents.get(deviceId);
    if (socket) {
      socket.emit("device:revoked", { reason });
      socket.disconnect(true);
    }
    if (this.cluster) {
      // Every other process too, whatever presence says (it may lag a reconnect by a moment): the reason, then the
      // close, in this order on each process, as one Redis connection delivers them in order.
      const room = deviceRoom(deviceId);
      this.cluster.agents.to(room).emit("device:revoked", { reason });
      this.cluster.agents.in(room).disconnectSockets(true);
    }
  }

  watch(socketId: string, room: string): void {
    let set = this.watchers.get(room);
    if (!set) {
      set = new Set();
      this.watchers.set(room, set);
    }
    set.add(socketId);
    if (set.size === 1) this.cluster?.scaleOut.announceWatches();
    this.recomputeIntervals(room);
  }

  unwatch(socketId: string, room: string): void {
    const set = this.watchers.get(room);
    if (!set?.delete(socketId)) return;
    if (set.size === 0) {
      this.watchers.delete(room);
      this.cluster?.scaleOut.announceWatches();
    }
    this.recomputeIntervals(room);
  }

  unwatchAll(socketId: string): void {
    for (const room of [...this.watchers.keys()]) this.unwatch(socketId, room);
  }

  intervalFor(deviceId: string): number {
    const labId = this.deviceLab.get(deviceId);
    const watched =
      this.runningDevices.has(deviceId) ||
      this.watchedAnywhere(FLEET_ROOM) ||
      this.watchedAnywhere(deviceRoom(deviceId)) ||
      (labId != null && (this.watchedAnywhere(labRoom(labId)) || this.watchedAnywhere(fleetLabRoom(labId))));
    return watched ? this.config.watchedMs : this.config.idleMs;
  }

  private recomputeIntervals(room: string): void {
    if (room === FLEET_ROOM) {
      for (const id of this.agents.keys()) this.pushConfig(id);
    } else if (room.startsWith("device:")) {
      this.pushConfig(room.slice("device:".length));
    } else if (room.startsWith("lab:") || room.startsWith("fleet:lab:")) {
      const labId = room.slice(room.indexOf("lab:") + "lab:".length);
      for (const id of this.agents.keys()) if (this.deviceLab.get(id) === labId) this.pushConfig(id);
    }
  }

  private pushConfig(deviceId: string, extra?: Omit<AgentConfig, "telemetryIntervalMs">): void {
    const socket = this.agents.get(deviceId);
    if (!socket) return;
    const ms = this.intervalFor(deviceId);
    if (this.intervals.get(deviceId) === ms && !extra) return;
    this.intervals.set(deviceId, ms);
    const config: AgentConfig = { telemetryIntervalMs: ms, ...extra };
    socket.emit("config:updated", config);
  }
}

function digestOrNull(sample: TelemetrySample | undefined): SampleDigest | null {
  return sample ? sampleDigest(sample) : null;
}

/** Every room a device's summary goes to, watched or not. */
function summaryRooms(row: DeviceRow): string[] {
  const rooms = [FLEET_ROOM, deviceRoom(row.id)];
  if (row.labId) rooms.push(labRoom(row.labId), fleetLabRoom(row.labId));
  return rooms;
}
