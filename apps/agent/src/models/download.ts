import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoCode } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ModelError } from "./errors.ts";

/** The device's credentials, sent with every file request exactly as the socket handshake sends them. */
export interface DeviceAuth {
  deviceId: string;
  secret: string;
}

export function deviceAuthHeaders(auth: DeviceAuth): Record<string, string> {
  return { "x-labfleet-device-id": auth.deviceId, authorization: `Bearer ${auth.secret}` };
}

/** Where the server serves a content-addressed file. */
export function modelFileUrl(serverUrl: string, sha256: string): string {
  return `${serverUrl.replace(/\/+$/, "")}/api/models/files/${sha256}`;
}

export interface DownloadFileOptions {
  url: string;
  headers: Record<string, string>;
  sha256: string;
  sizeBytes: number;
  /** Where the bytes accumulate; kept across attempts and agent restarts so a cut download resumes. */
  partPath: string;
  /** Where the verified file lands (renamed atomically from partPath). */
  destPath: string;
  signal?: AbortSignal | undefined;
  /** Bytes of the file held so far (part included), after every chunk. */
  onBytes?: ((bytes: number) => void) | undefined;
  /** All bytes are there; the hash is being checked and the file made durable. */
  onVerifying?: (() => void) | undefined;
  /** HTTP attempts in all (the first included) before a network failure is final. */
  attempts?: number;
  /** First wait between attempts; doubles each time, up to 30 s. */
  backoffMs?: number;
  /** An attempt that receives nothing for this long is abandoned (and retried). */
  idleTimeoutMs?: number;
  log?: Logger;
}

export interface DownloadOutcome {
  /** Offsets each HTTP request asked to start from (0 for a full request). */
  requestOffsets: number[];
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const cancelled = () => new ModelError("CANCELLED", "The download was cancelled.");

/**
 * Downloads one content-addressed file into `destPath`, or throws a ModelError. Bytes go to `partPath` and are
 * hashed as they are written; after a cut connection the next attempt asks only for the rest (`Range` with
 * `If-Range` on the hash, so a changed file on the server restarts from zero). Only a file whose SHA-256 matches
 * is ever renamed into place; a mismatch deletes the part and throws HASH_MISMATCH.
 */
export async function downloadFile(o: DownloadFileOptions): Promise<DownloadOutcome> {
  // About a minute and a half of trying in all: a switch rebooting or a Wi-Fi drop is ridden out; a server
  // that stays away fails the download, and the desired set it sends again on reconnect restarts it.
  const attempts = Math.max(1, o.attempts ?? 8);
  const backoffMs = o.backoffMs ?? 1_000;
  const outcome: DownloadOutcome = { requestOffsets: [] };
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw cancelled();
    try {
      await attemptOnce(o, outcome);
      return outcome;
    } catch (e) {
      if (o.signal?.aborted) throw cancelled();
      const retryable = !(e instanceof ModelError) || e.retryable;
      if (!retryable) throw e;
      if (attempt >= attempts) {
        throw new ModelError(
          "DOWNLOAD_FAILED",
          `Could not download the file after ${attempts} attempts: ${errText(e)}`,
          { cause: e },
        );
      }
      const waitMs = Math.min(30_000, backoffMs * 2 ** (attempt - 1));
      o.log?.warn({ sha256: o.sha256, attempt, retryInMs: waitMs, reason: errText(e) }, "model download interrupted");
      await sleep(waitMs, o.signal);
    }
  }
}

/** Feeds the bytes already in the part file into `hash`; returns how many there were. */
async function hashExisting(path: string, hash: Hash): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

/** Reads the part left by an earlier attempt; anything larger than the file cannot be a prefix of it. */
async function resumePoint(o: DownloadFileOptions, hash: Hash): Promise<number> {
  const st = await stat(o.partPath).catch(() => null);
  if (!st) return 0;
  if (!st.isFile() || st.size > o.sizeBytes) {
    await rm(o.partPath, { force: true, recursive: true });
    return 0;
  }
  return hashExisting(o.partPath, hash);
}

function statusError(status: number): ModelError {
  if (status === 401 || status === 403)
    return new ModelError("UNAUTHORIZED", `The server refused this device's credentials (HTTP ${status}).`);
  if (status === 404) return new ModelError("NOT_FOUND", "The server does not hold this file (HTTP 404).");
  const transient = status === 408 || status === 429 || status >= 500;
  return new ModelError("DOWNLOAD_FAILED", `The server answered HTTP ${status}.`, { retryable: transient });
}

/** The first byte of a `Content-Range: bytes a-b/n` header, or null when absent or malformed. */
function rangeStart(header: string | null): number | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  return m?.[1] ? Number(m[1]) : null;
}

async function attemptOnce(o: DownloadFileOptions, outcome: DownloadOutcome): Promise<void> {
  await mkdir(dirname(o.partPath), { recursive: true });
  let hash = createHash("sha256");
  let have = await resumePoint(o, hash);
  o.onBytes?.(have);
  if (have === o.sizeBytes) {
    await finish(o, hash);
    return;
  }
  // The attempt's own timer: a connection that goes silent is given up and retried, not waited on forever.
  const idle = new AbortController();
  const idleMs = o.idleTimeoutMs ?? 30_000;
  let idleTimer = setTimeout(() => idle.abort(), idleMs);
  const signal = o.signal ? AbortSignal.any([o.signal, idle.signal]) : idle.signal;
  const headers: Record<string, string> = { ...o.headers };
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    headers["if-range"] = `"${o.sha256}"`;
  }
  outcome.requestOffsets.push(have);
  try {
    const res = await fetch(o.url, { headers, signal, redirect: "error" });
    if (res.status === 206) {
      if (rangeStart(res.headers.get("content-range")) !== have) {
        await res.body?.cancel();
        await rm(o.partPath, { force: true });
        throw new ModelError("DOWNLOAD_FAILED", "The server sent another range than the one asked for.", {
          retryable: true,
        });
      }
    } else if (res.status === 200) {
      // A full answer (no range support, or the file changed under the If-Range): start over.
      hash = createHash("sha256");
      have = 0;
    } else {
      await res.body?.cancel();
      // 416: our part no longer fits the file the server has; start over on the next attempt.
      if (res.status === 416) await rm(o.partPath, { force: true });
      throw statusError(res.status === 416 ? 503 : res.status);
    }
    if (!res.body) throw new ModelError("DOWNLOAD_FAILED", "The server sent no body.", { retryable: true });
    const fh = await open(o.partPath, have === 0 ? "w" : "a", 0o600);
    try {
      for await (const chunk of res.body) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => idle.abort(), idleMs);
        if (have + chunk.length > o.sizeBytes) {
          await fh.close().catch(() => {});
          await rm(o.partPath, { force: true });
          throw new ModelError("HASH_MISMATCH", "The server sent more bytes than the file has; it was deleted.");
        }
        await fh.write(chunk);
        hash.update(chunk);
        have += chunk.length;
        o.onBytes?.(have);
      }
      await fh.sync();
    } finally {
      await fh.close().catch(() => {});
    }
  } catch (e) {
    if (e instanceof ModelError) throw e;
    if (errnoCode(e) === "ENOSPC") {
      await rm(o.partPath, { force: true });
      throw new ModelError("DISK_FULL", "The disk is full: the model file does not fit.");
    }
    if (o.signal?.aborted) throw cancelled();
    if (idle.signal.aborted) {
      throw new ModelError("DOWNLOAD_FAILED", `No data for ${idleMs} ms.`, { retryable: true });
    }
    // fetch's own failures (refused, reset, cut mid-body) are all worth another try.
    const cause = (e as { cause?: unknown }).cause;
    throw new ModelError("DOWNLOAD_FAILED", `${errText(e)}${cause ? ` (${errText(cause)})` : ""}`, {
      retryable: true,
      cause: e,
    });
  } finally {
    clearTimeout(idleTimer);
  }
  if (have < o.sizeBytes) {
    throw new ModelError("DOWNLOAD_FAILED", `The connection ended after ${have} of ${o.sizeBytes} bytes.`, {
      retryable: true,
    });
  }
  await finish(o, hash);
}

/** Checks the hash of a complete part, then renames it into place durably; a mismatch deletes it. */
async function finish(o: DownloadFileOptions, hash: Hash): Promise<void> {
  o.onVerifying?.();
  const got = hash.digest("hex");
  if (got !== o.sha256) {
    await rm(o.partPath, { force: true });
    throw new ModelError(
      "HASH_MISMATCH",
      `The downloaded file's SHA-256 is ${got}, not ${o.sha256}; it was deleted and will not be run.`,
    );
  }
  const fh = await open(o.partPath, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(o.partPath, o.destPath);
  // The rename itself must survive a power cut, or a verified file could vanish after reboot.
  const dir = await open(dirname(o.destPath), "r").catch(() => null);
  if (dir) {
    await dir.sync().catch(() => {});
    await dir.close();
  }
}
