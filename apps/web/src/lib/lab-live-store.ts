"use client";

import type { DeviceSummary, Lab, LabSnapshot, Seat, WireError } from "@labfleet/protocol";
import { useEffect, useSyncExternalStore } from "react";
import { BatchedStore } from "./batched-store";
import { ACK_TIMEOUT_MS, getDashboardSocket, onSocketConnect, Retainer } from "./dashboard-socket";
import { goToLogin } from "./errors";

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
 * One lab's room map, live: a snapshot on `lab:subscribe`, then `device:updated` for the lab's devices, applied at
 * most once per flush interval however many devices report. `lab:changed` (a placement, a resize) re-asks.
 */
class LabLiveStore extends BatchedStore<LabLiveState> {
  private lab: Lab | null = null;
  private seats: Seat[] = [];
  private readonly devices = new Map<string, DeviceSummary>();
  private status: LabLiveState["status"] = "loading";
  private error: WireError | null = null;
  private dirty = false;
  private requestSeq = 0;
  private offConnect: (() => void) | null = null;
  private readonly retainer = new Retainer(
    () => this.start(),
    () => this.stop(),
  );

  constructor(private readonly labId: string) {
    super(INITIAL);
  }

  retain(): () => void {
    return this.retainer.retain();
  }

  /** After a mutation that changed the layout: no need to wait for the broadcast. */
  readonly refresh = (): void => this.requestSnapshot();

  private readonly onUpdated = (device: DeviceSummary): void => {
    // The socket may also be in the fleet room: keep only this lab's devices (and those that just left it).
    if (device.labId !== this.labId && !this.devices.has(device.id)) return;
    if (device.labId !== this.labId) this.devices.delete(device.id);
    else this.devices.set(device.id, device);
    this.dirty = true;
    this.scheduleFlush();
  };

  private readonly onChanged = ({ labId }: { labId: string }): void => {
    if (labId === this.labId) this.requestSnapshot();
  };

  private start(): void {
    const socket = getDashboardSocket();
    socket.on("device:updated", this.onUpdated);
    socket.on("lab:changed", this.onChanged);
    this.offConnect = onSocketConnect(() => this.requestSnapshot());
    if (socket.connected) this.requestSnapshot();
  }

  private stop(): void {
    const socket = getDashboardSocket();
    socket.off("device:updated", this.onUpdated);
    socket.off("lab:changed", this.onChanged);
    this.offConnect?.();
    this.offConnect = null;
    this.requestSeq++;
    if (socket.connected) socket.emit("lab:unsubscribe", { labId: this.labId }, () => {});
  }

  private requestSnapshot(): void {
    const seq = ++this.requestSeq;
    getDashboardSocket()
      .timeout(ACK_TIMEOUT_MS)
      .emit("lab:subscribe", { labId: this.labId }, (err, res) => {
        if (seq !== this.requestSeq) return;
        if (err) return this.fail({ code: "INTERNAL", message: "The server did not answer. Retrying on reconnect." });
        if (!res.ok) {
          if (res.error.code === "UNAUTHORIZED") goToLogin();
          return this.fail(res.error);
        }
        this.apply(res.data);
      });
  }

  private apply(snapshot: LabSnapshot): void {
    this.lab = snapshot.lab;
    this.seats = snapshot.seats;
    this.devices.clear();
    for (const d of snapshot.devices) this.devices.set(d.id, d);
    this.status = "ready";
    this.error = null;
    this.dirty = true;
    this.flushNow();
  }

  private fail(error: WireError): void {
    if (this.status === "loading") this.status = "error";
    this.error = error;
    this.dirty = true;
    this.flushNow();
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

const stores = new Map<string, LabLiveStore>();

export function getLabLiveStore(labId: string): LabLiveStore {
  let store = stores.get(labId);
  if (!store) {
    store = new LabLiveStore(labId);
    stores.set(labId, store);
  }
  return store;
}

/** A lab's room map, live while mounted. */
export function useLabLive(labId: string): LabLiveState & { refresh: () => void } {
  const store = getLabLiveStore(labId);
  useEffect(() => store.retain(), [store]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, () => INITIAL);
  return { ...state, refresh: store.refresh };
}
