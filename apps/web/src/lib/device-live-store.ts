"use client";

import type {
  DeviceSnapshot,
  DeviceSummary,
  DevicesUpdated,
  TelemetrySample,
  TelemetrySampled,
  WireError,
} from "@labfleet/protocol";
import type { DashboardSocket } from "./dashboard-socket";
import {
  LiveSubscriptionStore,
  type SnapshotAck,
  storesByKey,
  type TimedDashboardSocket,
} from "./live-subscription-store";

/** The live chart shows this much history. */
export const LIVE_WINDOW_MS = 5 * 60_000;
/** A bound on memory if a device (or a replay) sends faster than once a second. */
const MAX_SAMPLES = 1_200;

export interface DeviceLiveState {
  device: DeviceSummary | null;
  /** Oldest first, one per timestamp, covering at most the last five minutes before the newest. */
  samples: readonly TelemetrySample[];
  status: "loading" | "ready" | "error";
  error: WireError | null;
}

const INITIAL: DeviceLiveState = { device: null, samples: [], status: "loading", error: null };

/** Merges new samples into a sorted window: dedupes by timestamp and drops what fell out of the window. */
export function mergeSamples(
  current: readonly TelemetrySample[],
  incoming: readonly TelemetrySample[],
): TelemetrySample[] {
  if (incoming.length === 0) return current.slice();
  const byTs = new Map<number, TelemetrySample>();
  for (const s of current) byTs.set(s.ts, s);
  for (const s of incoming) byTs.set(s.ts, s);
  const merged = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  const newest = merged[merged.length - 1]?.ts ?? 0;
  // The window follows the device's clock, not the browser's: a skewed clock must not empty the chart.
  const from = merged.findIndex((s) => s.ts >= newest - LIVE_WINDOW_MS);
  const windowed = from > 0 ? merged.slice(from) : merged;
  return windowed.length > MAX_SAMPLES ? windowed.slice(windowed.length - MAX_SAMPLES) : windowed;
}

class DeviceLiveStore extends LiveSubscriptionStore<DeviceLiveState, DeviceSnapshot> {
  private device: DeviceSummary | null = null;
  private samples: TelemetrySample[] = [];
  private pending: TelemetrySample[] = [];

  constructor(private readonly deviceId: string) {
    super(INITIAL);
  }

  private readonly onSampled = ({ deviceId, sample }: TelemetrySampled): void => {
    if (deviceId !== this.deviceId) return;
    this.pending.push(sample);
    this.markDirty();
  };

  readonly applySummary = (device: DeviceSummary): void => {
    this.onUpdated(device);
    this.flushNow();
  };

  private readonly onUpdated = (device: DeviceSummary): void => {
    if (device.id !== this.deviceId) return;
    this.device = device;
    this.markDirty();
  };

  private readonly onManyUpdated = ({ devices }: DevicesUpdated): void => {
    for (const device of devices) this.onUpdated(device);
  };

  private readonly onRemoved = ({ id }: { id: string }): void => {
    if (id !== this.deviceId) return;
    this.status = "error";
    this.error = { code: "NOT_FOUND", message: "This device was removed." };
    this.publish();
  };

  protected listen(socket: DashboardSocket): () => void {
    socket.on("telemetry:sampled", this.onSampled);
    socket.on("device:updated", this.onUpdated);
    socket.on("devices:updated", this.onManyUpdated);
    socket.on("device:removed", this.onRemoved);
    return () => {
      socket.off("telemetry:sampled", this.onSampled);
      socket.off("device:updated", this.onUpdated);
      socket.off("devices:updated", this.onManyUpdated);
      socket.off("device:removed", this.onRemoved);
    };
  }

  protected emitSubscribe(socket: TimedDashboardSocket, ack: SnapshotAck<DeviceSnapshot>): void {
    socket.emit("device:subscribe", { deviceId: this.deviceId }, ack);
  }

  protected emitUnsubscribe(socket: DashboardSocket): void {
    socket.emit("device:unsubscribe", { deviceId: this.deviceId }, () => {});
  }

  protected override onStop(): void {
    // Nobody watches any more: drop the history; a later watcher gets a fresh snapshot with `recent`.
    this.samples = [];
    this.pending = [];
    this.status = "loading";
    this.error = null;
    this.dirty = false;
    this.snapshot = { ...INITIAL, device: this.device };
  }

  protected applySnapshot(data: DeviceSnapshot): void {
    this.device = data.device;
    // Samples that arrived while the request was in flight are still pending and merge in on flush.
    this.samples = mergeSamples(this.samples, data.recent);
    this.ready();
  }

  protected override fail(error: WireError): void {
    if (error.code === "NOT_FOUND") this.status = "error";
    super.fail(error);
  }

  protected flush(): DeviceLiveState | null {
    if (!this.dirty) return null;
    this.dirty = false;
    if (this.pending.length > 0) {
      this.samples = mergeSamples(this.samples, this.pending);
      this.pending = [];
    }
    return { device: this.device, samples: this.samples, status: this.status, error: this.error };
  }
}

const stores = storesByKey((deviceId) => new DeviceLiveStore(deviceId));

/** One store per device for the whole tab, so that two views of the same device share one subscription. */
export function getDeviceLiveStore(deviceId: string): DeviceLiveStore {
  return stores.get(deviceId);
}

/** Updates the live view of a device, if one exists; used with a mutation's answer. */
export function applyDeviceSummaryToLiveStore(device: DeviceSummary): void {
  stores.peek(device.id)?.applySummary(device);
}

export const deviceLiveServerSnapshot = (): DeviceLiveState => INITIAL;
