"use client";

import type { DeviceSummary, DevicesUpdated, WireError } from "@labfleet/protocol";
import type { DashboardSocket } from "./dashboard-socket";
import { LiveSubscriptionStore, type SnapshotAck, type TimedDashboardSocket } from "./live-subscription-store";

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

class FleetStore extends LiveSubscriptionStore<FleetState, DeviceSummary[]> {
  private readonly devices = new Map<string, DeviceSummary>();
  /** Changes received while a snapshot request is in flight (null: removed); applied on top of the snapshot. */
  private inFlight: Map<string, DeviceSummary | null> | null = null;

  constructor() {
    super(INITIAL);
  }

  readonly getServerSnapshot = (): FleetState => INITIAL;

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

  private readonly onManyUpdated = ({ devices }: DevicesUpdated): void => {
    for (const device of devices) this.onUpdated(device);
  };

  private readonly onRemoved = ({ id }: { id: string }): void => {
    this.devices.delete(id);
    this.inFlight?.set(id, null);
    this.markDirty();
  };

  protected listen(socket: DashboardSocket): () => void {
    socket.on("device:updated", this.onUpdated);
    socket.on("devices:updated", this.onManyUpdated);
    socket.on("device:removed", this.onRemoved);
    return () => {
      socket.off("device:updated", this.onUpdated);
      socket.off("devices:updated", this.onManyUpdated);
      socket.off("device:removed", this.onRemoved);
    };
  }

  protected emitSubscribe(socket: TimedDashboardSocket, ack: SnapshotAck<DeviceSummary[]>): void {
    socket.emit("fleet:subscribe", {}, ack);
  }

  protected emitUnsubscribe(socket: DashboardSocket): void {
    socket.emit("fleet:unsubscribe", {}, () => {});
  }

  protected override onRequest(): void {
    this.inFlight = new Map();
  }

  protected override onStop(): void {
    this.inFlight = null;
  }

  protected applySnapshot(data: DeviceSummary[]): void {
    const changes = this.inFlight ?? new Map<string, DeviceSummary | null>();
    this.inFlight = null;
    this.devices.clear();
    for (const device of data) this.devices.set(device.id, device);
    for (const [id, change] of changes) {
      if (change === null) this.devices.delete(id);
      else if (freshness(change) >= freshness(this.devices.get(id))) this.devices.set(id, change);
    }
    this.ready();
  }

  protected override fail(error: WireError): void {
    this.inFlight = null;
    super.fail(error);
  }

  protected flush(): FleetState | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return { devices: new Map(this.devices), status: this.status, error: this.error?.message ?? null };
  }
}

/** The tab's one fleet store; views use it through `useFleet()`. */
export const fleetStore = new FleetStore();
