import type { DesiredModel, ModelStatus, ModelVersionRef } from "@labfleet/protocol";
import type { Logger } from "../logger.ts";
import type { AgentLink } from "../workloads/types.ts";
import type { EnsureOptions } from "./cache.ts";
import { codedError } from "./errors.ts";

/** What the sync needs from the cache. */
export interface SyncStore {
  ensure(ref: ModelVersionRef, opts: EnsureOptions): Promise<unknown>;
  setProtected(shas: Iterable<string>): void;
}

export interface ModelSyncOptions {
  store: SyncStore;
  link: Pick<AgentLink, "reportModelStatus">;
  log: Logger;
  /** Downloads of a version whose hash does not match, in all, before it stays failed. */
  hashMismatchAttempts?: number;
  /** Wait before downloading again after a mismatch. */
  retryDelayMs?: number;
  /** Percent updates are sent at most this often (state changes always at once). */
  progressEveryMs?: number;
  now?: () => number;
}

interface Entry {
  desired: DesiredModel;
  status: ModelStatus;
  mismatches: number;
  lastReportAt: number;
  retryTimer?: NodeJS.Timeout;
}

const keyOf = (m: { deploymentId: string; versionId: string }) => `${m.deploymentId}/${m.versionId}`;

/**
 * Brings the cache in line with the server's `models:desired`: versions are downloaded one at a time (a
 * classroom's network is shared), and each desired version's state is reported as it moves: queued →
 * downloading (percent) → verifying → ready, or failed with a coded reason. A version dropped from the set has
 * its download stopped and is no longer reported.
 */
export class ModelSync {
  private readonly entries = new Map<string, Entry>();
  private current: { versionId: string; controller: AbortController } | null = null;
  private pumping = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: ModelSyncOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The state of every desired version, as last reported. */
  statuses(): ModelStatus[] {
    return [...this.entries.values()].map((e) => e.status);
  }

  /**
   * Takes the full desired set (sent on connect and on every change). New versions are queued; a version that
   * failed is tried again (the server's push on reconnect is what brings an interrupted download back),
   * except after too many hash mismatches.
   */
  setDesired(models: readonly DesiredModel[]): void {
    if (this.stopped) return;
    const wanted = new Map(models.map((m) => [keyOf(m), m]));
    for (const [key, e] of this.entries) {
      if (wanted.has(key)) continue;
      clearTimeout(e.retryTimer);
      this.entries.delete(key);
    }
    const changed: Entry[] = [];
    for (const [key, m] of wanted) {
      const e = this.entries.get(key);
      if (!e) {
        const fresh: Entry = {
          desired: m,
          status: { deploymentId: m.deploymentId, versionId: m.versionId, state: "queued", percent: null, error: null },
          mismatches: 0,
          lastReportAt: 0,
        };
        this.entries.set(key, fresh);
        changed.push(fresh);
      } else if (e.status.state === "failed" && e.retryTimer === undefined && this.mayRetry(e)) {
        this.requeue(e);
        changed.push(e);
      }
    }
    this.o.store.setProtected(models.flatMap((m) => m.files.map((f) => f.sha256)));
    if (this.current && ![...this.entries.values()].some((e) => e.desired.versionId === this.current?.versionId)) {
      this.o.log.info({ versionId: this.current.versionId }, "a model version is no longer wanted; download stopped");
      this.current.controller.abort();
    }
    this.report(changed);
    void this.pump();
  }

  /** Agent shutdown: stop the download under way; the part file stays for the next start. */
  stop(): void {
    this.stopped = true;
    this.current?.controller.abort();
    for (const e of this.entries.values()) clearTimeout(e.retryTimer);
  }

  private mayRetry(e: Entry): boolean {
    return e.status.error?.code !== "HASH_MISMATCH" || e.mismatches < (this.o.hashMismatchAttempts ?? 3);
  }

  private requeue(e: Entry): void {
    e.status = { ...e.status, state: "queued", percent: null, error: null };
  }

  private report(entries: Entry[]): void {
    if (entries.length === 0) return;
    const at = this.now();
    for (const e of entries) e.lastReportAt = at;
    this.o.link.reportModelStatus(entries.map((e) => e.status));
  }

  /** Applies a state change to the entries of one download that are still desired, and reports it. */
  private set(batch: readonly Entry[], patch: Partial<ModelStatus>, throttle = false): void {
    const changed: Entry[] = [];
    for (const e of batch) {
      if (this.entries.get(keyOf(e.desired)) !== e) continue;
      const next = { ...e.status, ...patch };
      if (JSON.stringify(next) === JSON.stringify(e.status)) continue;
      const due = !throttle || e.status.state !== next.state || this.now() - e.lastReportAt >= this.progressEvery;
      e.status = next;
      if (due) changed.push(e);
    }
    this.report(changed);
  }

  private get progressEvery(): number {
    return this.o.progressEveryMs ?? 500;
  }

  private nextQueued(): Entry | undefined {
    return [...this.entries.values()].find((e) => e.status.state === "queued");
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Bounded: each round settles one version (ready, failed or dropped).
      for (let next = this.nextQueued(); next && !this.stopped; next = this.nextQueued()) {
        await this.download(next.desired);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async download(m: DesiredModel): Promise<void> {
    // Every deployment of this version waiting in the queue rides on the same download.
    const batch = [...this.entries.values()].filter(
      (e) => e.desired.versionId === m.versionId && e.status.state === "queued",
    );
    const controller = new AbortController();
    this.current = { versionId: m.versionId, controller };
    const ref: ModelVersionRef = { versionId: m.versionId, task: m.task, runtime: m.runtime, files: m.files };
    this.set(batch, { state: "downloading", percent: 0, error: null });
    try {
      await this.o.store.ensure(ref, {
        signal: controller.signal,
        onProgress: (percent) => {
          if (!controller.signal.aborted) this.set(batch, { state: "downloading", percent }, true);
        },
        onVerifying: () => {
          if (!controller.signal.aborted) this.set(batch, { state: "verifying" });
        },
      });
      if (controller.signal.aborted) return;
      this.set(batch, { state: "ready", percent: 100, error: null });
      this.o.log.info({ versionId: m.versionId }, "model version ready");
    } catch (e) {
      if (controller.signal.aborted) return;
      const error = codedError(e);
      this.o.log.warn({ versionId: m.versionId, code: error.code, reason: error.message }, "model download failed");
      this.set(batch, { state: "failed", error });
      if (error.code === "HASH_MISMATCH") this.afterMismatch(batch);
    } finally {
      if (this.current?.controller === controller) this.current = null;
    }
  }

  /** A mismatch may be a fault on the way (a proxy, a disk): try again later, a bounded number of times. */
  private afterMismatch(batch: readonly Entry[]): void {
    for (const e of batch) {
      if (this.entries.get(keyOf(e.desired)) !== e) continue;
      e.mismatches += 1;
      if (!this.mayRetry(e)) continue;
      e.retryTimer = setTimeout(() => {
        e.retryTimer = undefined;
        if (this.stopped || this.entries.get(keyOf(e.desired)) !== e || e.status.state !== "failed") return;
        this.requeue(e);
        this.report([e]);
        void this.pump();
      }, this.o.retryDelayMs ?? 5_000);
    }
  }
}
