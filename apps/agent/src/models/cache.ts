import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rm, stat, statfs, utimes } from "node:fs/promises";
import { join } from "node:path";
import { type ModelFileRef, type ModelVersionRef, modelVersionRefSchema } from "@labfleet/protocol";
import type { Logger } from "../logger.ts";
import type { CachedFile, ModelStore } from "../workloads/types.ts";
import { type DeviceAuth, deviceAuthHeaders, downloadFile, modelFileUrl } from "./download.ts";
import { ModelError } from "./errors.ts";

export const DEFAULT_MODEL_CACHE_MAX_BYTES = 10 * 1024 ** 3;
/** A file handed to a run stays safe from eviction this long: the run's process may still be opening it. */
const DEFAULT_IN_USE_GRACE_MS = 15 * 60_000;
const FILE_NAME = /^([0-9a-f]{64})(\.part)?$/;

export type EnsureOptions = Parameters<ModelStore["ensure"]>[1] & {
  /** A file's bytes are all there and its hash is being checked. */
  onVerifying?: () => void;
};

export interface ModelCacheOptions {
  /** `<state dir>/models`: holds `<sha256>` (verified) and `<sha256>.part` (being downloaded). */
  dir: string;
  maxBytes: number;
  serverUrl: string;
  auth: DeviceAuth;
  log: Logger;
  download?: { attempts?: number; backoffMs?: number; idleTimeoutMs?: number };
  inUseGraceMs?: number;
  now?: () => number;
}

interface Waiter {
  onBytes: (bytes: number) => void;
  onVerifying: () => void;
}

/** One download of one file, shared by every `ensure` that needs it at the same time. */
interface SharedDownload {
  controller: AbortController;
  waiters: Set<Waiter>;
  promise: Promise<void>;
}

interface DiskEntry {
  sha256: string;
  path: string;
  part: boolean;
  size: number;
  lastUsedMs: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The agent's model files, content-addressed by SHA-256 under one directory, kept under a size cap. Last use
 * is the file's mtime, which the cache sets itself on every use (nothing else writes these files), so it
 * survives restarts without an index to keep consistent. Files of desired versions, of an `ensure` under way
 * and of a recent run are never evicted.
 */
export class ModelCache implements ModelStore {
  private maxBytes: number;
  private protectedShas = new Set<string>();
  private readonly pins = new Map<string, number>();
  private readonly recentUse = new Map<string, number>();
  /** Files whose bytes this process has hashed (downloaded, or checked once since start). */
  private readonly verified = new Set<string>();
  private readonly downloads = new Map<string, SharedDownload>();
  /** Downloads that were aborted but may still be closing their part file. */
  private readonly closing = new Map<string, Promise<void>>();
  /** Full sizes of the files being downloaded, to count the bytes they will still take. */
  private readonly sizeHint = new Map<string, number>();
  /** Space decisions one at a time, so two downloads cannot both claim the same free bytes. */
  private spaceLock: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly o: ModelCacheOptions) {
    this.maxBytes = o.maxBytes;
    this.now = o.now ?? Date.now;
  }

  get dir(): string {
    return this.o.dir;
  }

  get maxSizeBytes(): number {
    return this.maxBytes;
  }

  pathOf(sha256: string): string {
    return join(this.o.dir, sha256);
  }

  /** The files of the versions the server wants here: never evicted. Trims the cache to its cap once known. */
  setProtected(shas: Iterable<string>): void {
    this.protectedShas = new Set(shas);
    void this.withSpaceLock(() => this.evict(0, null)).catch((e: unknown) =>
      this.o.log.warn({ err: errText(e) }, "cannot trim the model cache"),
    );
  }

  async ensure(ref: ModelVersionRef, opts: EnsureOptions = {}): Promise<Map<string, CachedFile>> {
    // The hashes become file names: only a valid ref may reach the file system.
    const parsed = modelVersionRefSchema.safeParse(ref);
    if (!parsed.success) throw new ModelError("BAD_REQUEST", "The model version's description is not valid.");
    const files = parsed.data.files;
    const shas = files.map((f) => f.sha256);
    for (const s of shas) this.pins.set(s, (this.pins.get(s) ?? 0) + 1);
    try {
      const total = files.reduce((n, f) => n + f.sizeBytes, 0);
      const held = files.map(() => 0);
      let lastPercent = -1;
      const progress = () => {
        const percent = Math.min(100, Math.floor((held.reduce((a, b) => a + b, 0) / total) * 100));
        if (percent !== lastPercent) opts.onProgress?.(percent);
        lastPercent = percent;
      };
      const out = new Map<string, CachedFile>();
      for (const [i, f] of files.entries()) {
        if (opts.signal?.aborted) throw new ModelError("CANCELLED", "The download was cancelled.");
        if (!(await this.hasVerified(f, opts.onVerifying))) {
          await this.fetchShared(f, opts.signal, {
            onBytes: (b) => {
              held[i] = b;
              progress();
            },
            onVerifying: () => opts.onVerifying?.(),
          });
        }
        held[i] = f.sizeBytes;
        progress();
        await this.touch(f.sha256);
        out.set(f.name, { name: f.name, role: f.role, sha256: f.sha256, path: this.pathOf(f.sha256) });
      }
      return out;
    } finally {
      const at = this.now();
      for (const s of shas) {
        const n = (this.pins.get(s) ?? 1) - 1;
        if (n <= 0) this.pins.delete(s);
        else this.pins.set(s, n);
        this.recentUse.set(s, at);
      }
    }
  }

  /** Total bytes on disk, verified files and parts together. */
  async usageBytes(): Promise<number> {
    return (await this.scan()).reduce((n, e) => n + e.size, 0);
  }

  /**
   * True when the file is in the cache with the right bytes. A file is hashed again the first time this process
   * uses it: a disk error or a hand edit since it was verified must never reach a run. A bad one is deleted.
   */
  private async hasVerified(f: ModelFileRef, onVerifying?: () => void): Promise<boolean> {
    const path = this.pathOf(f.sha256);
    const st = await stat(path).catch(() => null);
    if (!st) return false;
    if (st.isFile() && st.size === f.sizeBytes) {
      if (this.verified.has(f.sha256)) return true;
      onVerifying?.();
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      if (hash.digest("hex") === f.sha256) {
        this.verified.add(f.sha256);
        return true;
      }
      this.o.log.warn({ sha256: f.sha256 }, "a cached model file no longer matches its hash; downloading it again");
    }
    await rm(path, { force: true, recursive: true });
    return false;
  }

  private async touch(sha256: string): Promise<void> {
    const t = new Date(this.now());
    await utimes(this.pathOf(sha256), t, t).catch(() => {});
  }

  private fetchShared(f: ModelFileRef, signal: AbortSignal | undefined, waiter: Waiter): Promise<void> {
    let d = this.downloads.get(f.sha256);
    if (!d) {
      const controller = new AbortController();
      const waiters = new Set<Waiter>();
      const before = this.closing.get(f.sha256) ?? Promise.resolve();
      const promise = before
        .then(() => this.withSpaceLock(() => this.makeRoom(f)))
        .then(() =>
          downloadFile({
            url: modelFileUrl(this.o.serverUrl, f.sha256),
            headers: deviceAuthHeaders(this.o.auth),
            sha256: f.sha256,
            sizeBytes: f.sizeBytes,
            partPath: `${this.pathOf(f.sha256)}.part`,
            destPath: this.pathOf(f.sha256),
            signal: controller.signal,
            onBytes: (b) => {
              for (const w of waiters) w.onBytes(b);
            },
            onVerifying: () => {
              for (const w of waiters) w.onVerifying();
            },
            log: this.o.log,
            ...this.o.download,
          }),
        )
        .then(() => {
          this.verified.add(f.sha256);
        });
      const created: SharedDownload = { controller, waiters, promise };
      d = created;
      this.downloads.set(f.sha256, created);
      // Settled either way: the map forgets it, and nobody is left with an unhandled rejection.
      promise.then(
        () => this.forget(f.sha256, created),
        (e: unknown) => {
          this.forget(f.sha256, created);
          this.o.log.debug({ sha256: f.sha256, err: errText(e) }, "model file download ended");
        },
      );
    }
    const shared = d;
    shared.waiters.add(waiter);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        leave();
        reject(new ModelError("CANCELLED", "The download was cancelled."));
      };
      const leave = () => {
        signal?.removeEventListener("abort", onAbort);
        shared.waiters.delete(waiter);
        if (shared.waiters.size === 0 && this.downloads.get(f.sha256) === shared) {
          // Nobody wants it any more: stop it, and let a later download wait until this one has let go.
          this.downloads.delete(f.sha256);
          const closed: Promise<void> = shared.promise
            .catch(() => {})
            .then(() => {
              if (this.closing.get(f.sha256) === closed) this.closing.delete(f.sha256);
            });
          this.closing.set(f.sha256, closed);
          shared.controller.abort();
        }
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      shared.promise.then(
        () => {
          signal?.removeEventListener("abort", onAbort);
          shared.waiters.delete(waiter);
          resolve();
        },
        (e: unknown) => {
          signal?.removeEventListener("abort", onAbort);
          shared.waiters.delete(waiter);
          reject(e);
        },
      );
    });
  }

  private forget(sha256: string, d: SharedDownload): void {
    if (this.downloads.get(sha256) !== d) return;
    this.downloads.delete(sha256);
    this.sizeHint.delete(sha256);
  }

  private withSpaceLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.spaceLock.then(fn, fn);
    this.spaceLock = run.catch(() => {});
    return run;
  }

  /** Every cache file on disk, oldest use first. */
  private async scan(): Promise<DiskEntry[]> {
    await mkdir(this.o.dir, { recursive: true, mode: 0o700 });
    const out: DiskEntry[] = [];
    for (const name of await readdir(this.o.dir)) {
      const m = FILE_NAME.exec(name);
      if (!m?.[1]) continue;
      const path = join(this.o.dir, name);
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) continue;
      out.push({ sha256: m[1], path, part: m[2] !== undefined, size: st.size, lastUsedMs: st.mtimeMs });
    }
    return out.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  }

  private isKept(sha256: string): boolean {
    if (this.protectedShas.has(sha256) || this.pins.has(sha256) || this.downloads.has(sha256)) return true;
    const used = this.recentUse.get(sha256);
    return used !== undefined && this.now() - used < (this.o.inUseGraceMs ?? DEFAULT_IN_USE_GRACE_MS);
  }

  /**
   * Evicts least recently used files until `incoming` more bytes fit under the cap. Returns the bytes still
   * over the cap (0 when it fits). `forSha` is the file about to be downloaded: its own part is not counted twice.
   */
  private async evict(incoming: number, forSha: string | null): Promise<number> {
    const entries = (await this.scan()).filter((e) => !(e.part && e.sha256 === forSha));
    // Other downloads under way will grow to their full size: count what they still need too.
    let pending = 0;
    for (const [sha, d] of this.downloads) {
      if (sha === forSha || d.controller.signal.aborted) continue;
      const part = entries.find((e) => e.part && e.sha256 === sha)?.size ?? 0;
      pending += Math.max(0, (this.sizeHint.get(sha) ?? part) - part);
    }
    let used = entries.reduce((n, e) => n + e.size, 0) + pending;
    for (const e of entries) {
      if (used + incoming <= this.maxBytes) break;
      if (this.isKept(e.sha256)) continue;
      await rm(e.path, { force: true });
      used -= e.size;
      this.recentUse.delete(e.sha256);
      if (!e.part) this.verified.delete(e.sha256);
      this.o.log.info({ sha256: e.sha256, bytes: e.size, part: e.part }, "evicted a model file from the cache");
    }
    return Math.max(0, used + incoming - this.maxBytes);
  }

  private async makeRoom(f: ModelFileRef): Promise<void> {
    this.sizeHint.set(f.sha256, f.sizeBytes);
    const over = await this.evict(f.sizeBytes, f.sha256);
    if (over > 0) {
      throw new ModelError(
        "CACHE_FULL",
        `The model cache is capped at ${this.maxBytes} bytes; this file (${f.sizeBytes} bytes) does not fit next to the models that must stay. Raise modelCacheMaxBytes or remove a deployment.`,
      );
    }
    const part = await stat(`${this.pathOf(f.sha256)}.part`).catch(() => null);
    const need = f.sizeBytes - (part?.size ?? 0);
    const fs = await statfs(this.o.dir).catch(() => null);
    if (fs && fs.bavail * fs.bsize < need) {
      throw new ModelError(
        "DISK_FULL",
        `The disk has ${fs.bavail * fs.bsize} bytes free; the model file needs ${need} more.`,
      );
    }
  }
}
