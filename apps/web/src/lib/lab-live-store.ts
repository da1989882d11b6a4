"use client";

import type { DeviceSummary, DevicesUpdated, Lab, LabSnapshot, Seat, WireError } from "@labfleet/protocol";
import { useEffect, useSyncExternalStore } from "react";
import type { DashboardSocket } from "./dashboard-socket";
import {
  LiveSubscriptionStore,
  type SnapshotAck,
  storesByKey,
  type TimedDashboardSocket,
} from "./live-subscription-store";

export interface LabLiveState {
  lab: Lab | null;
  seats: readonly Seat[];
  /** The lab's devices by id. A new Map whenever one of them changed; unchanged summaries keep their identity. */
  devices: ReadonlyMap<string, DeviceSummary>;
  status: "loading" | "ready" | "error";
  error: WireError | null;
}

const INITIAL: LabLiveState = { lab: null, seats: [], devices: new Map(), status: "loading", error: null };

/**
 * One lab's room map, live: a snapshot on `lab:subscribe`, then `device:updated` / `devices:updated` for the lab's
 * devices, applied at
 * most once per flush interval however many devices report. `lab:changed` (a placement, a resize) re-asks.
 */
class LabLiveStore extends LiveSubscriptionStore<LabLiveState, LabSnapshot> {
  private lab: Lab | null = null;
  private seats: Seat[] = [];
  private readonly devices = new Map<string, DeviceSummary>();
  protected override timeoutMessage = "The server did not answer. Retrying on reconnect.";

  constructor(private readonly labId: string) {
    super(INITIAL);
  }

  /** After a mutation that changed the layout: no need to wait for the broadcast. */
  readonly refresh = (): void => this.requestSnapshot();

  private readonly onUpdated = (device: DeviceSummary): void => {
    // The socket may also be in the fleet room: keep only this lab's devices (and those that just left it).
    if (device.labId !== this.labId && !this.devices.has(device.id)) return;
    if (device.labId !== this.labId) this.devices.delete(device.id);
    else this.devices.set(device.id, device);
    this.markDirty();
  };

  private readonly onManyUpdated = ({ devices }: DevicesUpdated): void => {
    for (const device of devices) this.onUpdated(device);
  };

  private readonly onChanged = ({ labId }: { labId: string }): void => {
    if (labId === this.labId) this.requestSnapshot();
  };

  protected listen(socket: DashboardSocket): () => void {
    socket.on("device:updated", this.onUpdated);
    socket.on("devices:updated", this.onManyUpdated);
    socket.on("lab:changed", this.onChanged);
    return () => {
      socket.off("device:updated", this.onUpdated);
      socket.off("devices:updated", this.onManyUpdated);
      socket.off("lab:changed", this.onChanged);
    };
  }

  protected emitSubscribe(socket: TimedDashboardSocket, ack: SnapshotAck<LabSnapshot>): void {
    socket.emit("lab:subscribe", { labId: this.labId }, ack);
  }

  protected emitUnsubscribe(socket: DashboardSocket): void {
    socket.emit("lab:unsubscribe", { labId: this.labId }, () => {});
  }

  protected applySnapshot(snapshot: LabSnapshot): void {
    this.lab = snapshot.lab;
    this.seats = snapshot.seats;
    this.devices.clear();
    for (const d of snapshot.devices) this.devices.set(d.id, d);
    this.ready();
  }

  protected flush(): LabLiveState | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return {
      lab: this.lab,
      seats: this.seats,
      devices: new Map(this.devices),
      status: this.status,
      error: this.error,
    };
  }
}

const stores = storesByKey((labId) => new LabLiveStore(labId));

export function getLabLiveStore(labId: string): LabLiveStore {
  return stores.get(labId);
}

/** A lab's room map, live while mounted. */
export function useLabLive(labId: string): LabLiveState & { refresh: () => void } {
  const store = getLabLiveStore(labId);
  useEffect(() => store.retain(), [store]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, () => INITIAL);
  return { ...state, refresh: store.refresh };
}
