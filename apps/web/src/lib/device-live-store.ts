"use client";

import type { DeviceSummary, TelemetrySample, TelemetrySampled, WireError } from "@labfleet/protocol";
import { BatchedStore } from "./batched-store";
import { ACK_TIMEOUT_MS, getDashboardSocket, onSocketConnect, Retainer } from "./dashboard-socket";
import { goToLogin } from "./errors";

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

class DeviceLiveStore extends BatchedStore<DeviceLiveState> {
  private device: DeviceSummary | null = null;
  private samples: TelemetrySample[] = [];
  private pending: TelemetrySample[] = [];
  private status: DeviceLiveState["status"] = "loading";
  private error: WireError | null = null;
  private dirty = false;
  private requestSeq = 0;
  private offConnect: (() => void) | null = null;
  private readonly retainer = new Retainer(
    () => this.start(),
    () => this.stop(),
  );

  constructor(private readonly deviceId: string) {
    super(INITIAL);
  }

  retain(): () => void {
    return this.retainer.retain();
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

  private readonly onRemoved = ({ id }: { id: string }): void => {
    if (id !== this.deviceId) return;
    this.status = "error";
    this.error = { code: "NOT_FOUND", message: "This device was removed." };
    this.dirty = true;
    this.flushNow();
  };

  private start(): void {
    const socket = getDashboardSocket();
    socket.on("telemetry:sampled", this.onSampled);
    socket.on("device:updated", this.onUpdated);
    socket.on("device:removed", this.onRemoved);
    this.offConnect = onSocketConnect(() => this.requestSnapshot());
    if (socket.connected) this.requestSnapshot();
  }

  private stop(): void {
    const socket = getDashboardSocket();
    socket.off("telemetry:sampled", this.onSampled);
    socket.off("device:updated", this.onUpdated);
    socket.off("device:removed", this.onRemoved);
    this.offConnect?.();
    this.offConnect = null;
    this.requestSeq += 1; // ignore an ack still in flight
    // Nobody watches any more: drop the history; a later watcher gets a fresh snapshot with `recent`.
    this.samples = [];
    this.pending = [];
    this.status = "loading";
    this.error = null;
    this.dirty = false;
    this.snapshot = { ...INITIAL, device: this.device };
    if (socket.connected) socket.emit("device:unsubscribe", { deviceId: this.deviceId }, () => {});
  }

  private requestSnapshot(): void {
    const seq = ++this.requestSeq;
    getDashboardSocket()
      .timeout(ACK_TIMEOUT_MS)
      .emit("device:subscribe", { deviceId: this.deviceId }, (err, res) => {
        if (seq !== this.requestSeq) return;
        if (err) {
          this.fail({
            code: "INTERNAL",
            message: "The server did not answer. Retrying when the connection comes back.",
          });
          return;
        }
        if (!res.ok) {
          if (res.error.code === "UNAUTHORIZED") goToLogin();
          this.fail(res.error);
          return;
        }
        this.device = res.data.device;
        // Samples that arrived while the request was in flight are still pending and merge in on flush.
        this.samples = mergeSamples(this.samples, res.data.recent);
        this.status = "ready";
        this.error = null;
        this.dirty = true;
        this.flushNow();
      });
  }

  private fail(error: WireError): void {
    if (this.status === "loading" || error.code === "NOT_FOUND") this.status = "error";
    this.error = error;
    this.dirty = true;
    this.flushNow();
  }

  private markDirty(): void {
    this.dirty = true;
    this.scheduleFlush();
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

const stores = new Map<string, DeviceLiveStore>();

/** One store per device for the whole tab, so that two views of the same device share one subscription. */
export function getDeviceLiveStore(deviceId: string): DeviceLiveStore {
  let store = stores.get(deviceId);
  if (!store) {
    store = new DeviceLiveStore(deviceId);
    stores.set(deviceId, store);
  }
  return store;
}

/** Updates the live view of a device, if one exists; used with a mutation's answer. */
export function applyDeviceSummaryToLiveStore(device: DeviceSummary): void {
  stores.get(device.id)?.applySummary(device);
}

export const deviceLiveServerSnapshot = (): DeviceLiveState => INITIAL;
