"use client";

import type { Ack, WireError } from "@labfleet/protocol";
import { BatchedStore } from "./batched-store";
import {
  ACK_TIMEOUT_MS,
  type DashboardSocket,
  getDashboardSocket,
  onSocketConnect,
  Retainer,
} from "./dashboard-socket";
import { goToLogin } from "./errors";

export type TimedDashboardSocket = ReturnType<DashboardSocket["timeout"]>;
export type SnapshotAck<Data> = (err: Error | null, res: Ack<Data>) => void;

/**
 * A live view over one dashboard subscription: listens while retained, asks for a snapshot on every
 * (re)connection, keeps only the answer to the newest request, and unsubscribes when the last watcher leaves.
 * Subclasses say which events to listen to, how to ask and how to apply what arrives.
 */
export abstract class LiveSubscriptionStore<Snapshot, Data> extends BatchedStore<Snapshot> {
  protected status: "loading" | "ready" | "error" = "loading";
  protected error: WireError | null = null;
  protected dirty = false;
  /** Shown when a subscribe request gets no ack in time. */
  protected timeoutMessage = "The server did not answer. Retrying when the connection comes back.";
  private requestSeq = 0;
  private offConnect: (() => void) | null = null;
  private unlisten: (() => void) | null = null;
  private readonly retainer = new Retainer(
    () => this.start(),
    () => this.stop(),
  );

  /** Starts (or keeps) the subscription; returns the release function. */
  retain(): () => void {
    return this.retainer.retain();
  }

  /** Adds the socket listeners; returns the function that removes them. */
  protected abstract listen(socket: DashboardSocket): () => void;
  protected abstract emitSubscribe(socket: TimedDashboardSocket, ack: SnapshotAck<Data>): void;
  protected abstract emitUnsubscribe(socket: DashboardSocket): void;
  protected abstract applySnapshot(data: Data): void;
  /** Called as a request goes out, before its ack can arrive. */
  protected onRequest(): void {}
  /** Called when the last watcher left, before unsubscribing. */
  protected onStop(): void {}

  private start(): void {
    const socket = getDashboardSocket();
    this.unlisten = this.listen(socket);
    this.offConnect = onSocketConnect(() => this.requestSnapshot());
    if (socket.connected) this.requestSnapshot();
  }

  private stop(): void {
    const socket = getDashboardSocket();
    this.unlisten?.();
    this.unlisten = null;
    this.offConnect?.();
    this.offConnect = null;
    this.requestSeq += 1; // ignore an ack still in flight
    this.onStop();
    if (socket.connected) this.emitUnsubscribe(socket);
  }

  protected requestSnapshot(): void {
    const seq = ++this.requestSeq;
    this.onRequest();
    this.emitSubscribe(getDashboardSocket().timeout(ACK_TIMEOUT_MS), (err, res) => {
      if (seq !== this.requestSeq) return; // superseded by a newer request, or stopped
      if (err) return this.fail({ code: "INTERNAL", message: this.timeoutMessage });
      if (!res.ok) {
        if (res.error.code === "UNAUTHORIZED") goToLogin();
        return this.fail(res.error);
      }
      this.applySnapshot(res.data);
    });
  }

  /** A snapshot was applied: ready, and shown now. */
  protected ready(): void {
    this.status = "ready";
    this.error = null;
    this.publish();
  }

  protected fail(error: WireError): void {
    // Keep showing what we had: stale numbers with a notice beat an empty page.
    if (this.status === "loading") this.status = "error";
    this.error = error;
    this.publish();
  }

  protected markDirty(): void {
    this.dirty = true;
    this.scheduleFlush();
  }

  protected publish(): void {
    this.dirty = true;
    this.flushNow();
  }
}

/** One store per key for the whole tab, so that two views of the same thing share one subscription. */
export function storesByKey<Store>(create: (key: string) => Store): {
  get: (key: string) => Store;
  peek: (key: string) => Store | undefined;
} {
  const stores = new Map<string, Store>();
  return {
    get(key) {
      let store = stores.get(key);
      if (!store) {
        store = create(key);
        stores.set(key, store);
      }
      return store;
    },
    peek: (key) => stores.get(key),
  };
}
