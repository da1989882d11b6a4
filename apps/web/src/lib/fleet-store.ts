"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { BatchedStore } from "./batched-store";
import { ACK_TIMEOUT_MS, getDashboardSocket, onSocketConnect, Retainer } from "./dashboard-socket";
import { goToLogin } from "./errors";

export interface FleetState {
  /** Every device the server knows, by id. A new Map whenever anything in it changed. */
  devices: ReadonlyMap<string, DeviceSummary>;
  /** `loading` until the first snapshot arrives. */
  status: "loading" | "ready" | "error";
  error: string | null;
}

const INITIAL: FleetState = { devices: new Map(), status: "loading", error: null };

/** How recent a summary is; used to keep the newer of an update and a snapshot that crossed on the wire. */
function freshness(device: DeviceSummary | undefined): number {
  if (!device) return -1;
  return Math.max(device.latest?.ts ?? 0, device.lastSeenAt ?? 0);
}

class FleetStore extends BatchedStore<FleetState> {
  private readonly devices = new Map<string, DeviceSummary>();
  private status: FleetState["status"] = "loading";
  private error: string | null = null;
  private dirty = false;
  /** Changes received while a snapshot request is in flight (null: removed); applied on top of the snapshot. */
  private inFlight: Map<string, DeviceSummary | null> | null = null;
  private offConnect: (() => void) | null = null;
  private readonly retainer = new Retainer(
    () => this.start(),
    () => this.stop(),
  );

  constructor() {
    super(INITIAL);
  }

  readonly getServerSnapshot = (): FleetState => INITIAL;

  /** Starts (or keeps) the fleet subscription; returns the release function. */
  retain(): () => void {
    return this.retainer.retain();
  }

  /** A summary from anywhere newer than the socket (a mutation's answer): shown now, not at the next broadcast. */
  readonly applySummary = (device: DeviceSummary): void => {
    this.onUpdated(device);
    this.flushNow();
  };

  private readonly onUpdated = (device: DeviceSummary): void => {
    this.devices.set(device.id, device);
    this.inFlight?.set(device.id, device);
    this.markDirty();
  };

  private readonly onRemoved = ({ id }: { id: string }): void => {
    this.devices.delete(id);
    this.inFlight?.set(id, null);
    this.markDirty();
  };

  private start(): void {
    const socket = getDashboardSocket();
    socket.on("device:updated", this.onUpdated);
    socket.on("device:removed", this.onRemoved);
    this.offConnect = onSocketConnect(() => this.requestSnapshot());
    if (socket.connected) this.requestSnapshot();
  }

  private stop(): void {
    const socket = getDashboardSocket();
    socket.off("device:updated", this.onUpdated);
    socket.off("device:removed", this.onRemoved);
    this.offConnect?.();
    this.offConnect = null;
    this.inFlight = null;
    if (socket.connected) socket.emit("fleet:unsubscribe", {}, () => {});
  }

  private requestSnapshot(): void {
    const changes = new Map<string, DeviceSummary | null>();
    this.inFlight = changes;
    getDashboardSocket()
      .timeout(ACK_TIMEOUT_MS)
      .emit("fleet:subscribe", {}, (err, res) => {
        if (this.inFlight !== changes) return; // superseded by a newer request, or stopped
        this.inFlight = null;
        if (err) {
          this.fail("The server did not answer. Retrying when the connection comes back.");
          return;
        }
        if (!res.ok) {
          if (res.error.code === "UNAUTHORIZED") goToLogin();
          this.fail(res.error.message);
          return;
        }
        this.devices.clear();
        for (const device of res.data) this.devices.set(device.id, device);
        for (const [id, change] of changes) {
          if (change === null) this.devices.delete(id);
          else if (freshness(change) >= freshness(this.devices.get(id))) this.devices.set(id, change);
        }
        this.status = "ready";
        this.error = null;
        this.dirty = true;
        this.flushNow();
      });
  }

  private fail(message: string): void {
    // Keep showing what we had: stale numbers with a notice beat an empty page.
    if (this.status === "loading") this.status = "error";
    this.error = message;
    this.dirty = true;
    this.flushNow();
  }

  private markDirty(): void {
    this.dirty = true;
    this.scheduleFlush();
  }

  protected flush(): FleetState | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return { devices: new Map(this.devices), status: this.status, error: this.error };
  }
}

/** The tab's one fleet store; views use it through `useFleet()`. */
export const fleetStore = new FleetStore();
