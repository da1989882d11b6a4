import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { PROTOCOL_VERSION, sha256HexSchema } from "@labfleet/protocol";
import { fromNodeHeaders } from "better-auth/node";
import type { Auth } from "../auth.ts";
import { AppError, httpStatusOf, isAppError, toWireError } from "../errors.ts";
import type { FleetHub } from "../realtime/hub.ts";
import { isStaff, parseRole } from "../roles.ts";
import type { Db } from "../services/deps.ts";
import { authenticateDevice } from "../services/device.ts";
import type { BlobStore } from "../services/models/blob-store.ts";
import { maxUploadBytesFromEnv, receiveUpload, uploadParamsSchema } from "../services/models/upload.ts";
import { sendJson } from "./json.ts";
import { isRateLimited, RateLimitedError, type RateLimits, sharedRateLimits, waitText } from "./rate-limit.ts";

export interface ModelsHttpDeps {
  db: Db;
  auth: Auth;
  hub: FleetHub;
  blobs: BlobStore;
  /** The upload cap in bytes; absent: LABFLEET_MODEL_MAX_UPLOAD_MB (default 16 GiB). */
  maxUploadBytes?: number;
  /** Uploads per user; absent: the process's shared limits. */
  limits?: RateLimits;
}

const FILES_PREFIX = "/api/models/files/";
const UPLOAD_PATH = "/api/models/upload";
const UPLOAD_STALL_MS = 120_000;

/** `{ ok: false, error }` with the code's status; never a stack. */
function sendFailure(res: ServerResponse, e: unknown, extraHeaders: Record<string, string> = {}): void {
  const error = toWireError(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ ok: false, error });
  res.writeHead(httpStatusOf(error.code), {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

/** Everything under /api/models/: file downloads for devices, uploads for instructors. */
export async function handleModelsHttp(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  deps: ModelsHttpDeps,
): Promise<void> {
  if (path.startsWith(FILES_PREFIX)) return serveFile(req, res, path.slice(FILES_PREFIX.length), deps);
  if (path === UPLOAD_PATH) return handleUpload(req, res, deps);
  sendJson(res, 404, { ok: false, error: { code: "NOT_FOUND", message: "No such API." } });
}

// ---------- Downloads ----------

type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range against a file of `size` bytes: a range, "unsatisfiable", or null to send the whole file
 * (no header, several ranges, or a form this server does not parse, all of which HTTP allows it to ignore).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

async function deviceFromHeaders(req: IncomingMessage, db: Db) {
  const deviceId = req.headers["x-labfleet-device-id"];
  const authz = req.headers.authorization;
  const secret = typeof authz === "string" && authz.startsWith("Bearer ") ? authz.slice(7).trim() : "";
  if (typeof deviceId !== "string" || !deviceId || !secret || deviceId.length > 64 || secret.length > 256) {
    throw new AppError("UNAUTHORIZED", "Send the device id (x-labfleet-device-id) and its secret (Bearer).");
  }
  return authenticateDevice(db, { deviceId, secret, protocolVersion: PROTOCOL_VERSION, agentVersion: "http" });
}

/**
 * GET|HEAD /api/models/files/<sha256>: a model file for an enrolled device, streamed from disk (never whole in
 * memory: 50 devices fetching at once must not grow the server), resumable with a single Range.
 */
async function serveFile(req: IncomingMessage, res: ServerResponse, name: string, deps: ModelsHttpDeps) {
  try {
    if (req.method !== "GET" && req.method !== "HEAD") throw new AppError("BAD_REQUEST", "Use GET or HEAD.");
    await deviceFromHeaders(req, deps.db);
    const sha = sha256HexSchema.safeParse(name);
    if (!sha.success) throw new AppError("NOT_FOUND", "No such model file.");
    const sha256 = sha.data;
    // Only files of a model version: the store may hold a blob that is being uploaded or was just released.
    const used = await deps.db.prisma.modelVersionFile.findFirst({ where: { sha256 }, select: { sha256: true } });
    const size = used ? await deps.blobs.sizeOf(sha256) : null;
    if (size === null) {
      if (used) deps.db.log.error({ sha256 }, "a model file in the database is missing from the blob store");
      throw new AppError("NOT_FOUND", "No such model file.");
    }

    const etag = `"${sha256}"`;
    const common = {
      etag,
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      // Content-addressed: the bytes behind a name never change.
      "cache-control": "private, max-age=31536000, immutable",
    };
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    const ifRange = typeof req.headers["if-range"] === "string" ? req.headers["if-range"] : undefined;
    // If-Range names the version the client holds part of; a different one gets the whole file (strong match).
    const range = ifRange !== undefined && ifRange.trim() !== etag ? null : parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      throw Object.assign(new AppError("BAD_REQUEST", "The requested range is outside the file."), { status416: size });
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const headers: Record<string, string | number> = { ...common, "content-length": size === 0 ? 0 : end - start + 1 };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD" || size === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(deps.blobs.pathOf(sha256), { start, end }), res).catch((e: unknown) => {
      // A device that goes away mid-file resumes later with a Range; nothing to answer.
      deps.db.log.debug({ err: e, sha256 }, "model file download ended early");
    });
  } catch (e) {
    const size416 = (e as { status416?: number }).status416;
    if (size416 !== undefined && !res.headersSent) {
      res.writeHead(416, {
        "content-range": `bytes */${size416}`,
        "content-type": "application/json; charset=utf-8",
      });
      res.end(JSON.stringify({ ok: false, error: toWireError(e) }));
      return;
    }
    if (!isAppError(e)) deps.db.log.error({ err: e }, "model file download failed");
    sendFailure(res, e);
  }
}

// ---------- Uploads ----------

/**
 * POST /api/models/upload?name=&variant=&modelId=: the raw file as application/octet-stream, from a staff
 * session. Requiring that content type is also what keeps other sites out: a cross-site form cannot send it,
 * and a cross-site fetch with it needs a CORS preflight that this server never grants.
 */
async function handleUpload(req: IncomingMessage, res: ServerResponse, deps: ModelsHttpDeps): Promise<void> {
  try {
    if (req.method !== "POST") throw new AppError("BAD_REQUEST", "Use POST.");
    const session = await deps.auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
    if (!session) throw new AppError("UNAUTHORIZED", "Sign in to upload a model.");
    if (!isStaff(parseRole(session.user.role))) {
      throw new AppError("FORBIDDEN", "Only instructors and admins can upload models.");
    }
    // Counted before any byte is read: each upload costs disk, hashing and model inspection.
    const wait = await (deps.limits ?? sharedRateLimits()).hit("upload", session.user.id);
    if (wait !== null) throw new RateLimitedError(`Too many uploads. Try again in ${waitText(wait)}.`, wait);
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("application/octet-stream")) {
      throw new AppError("BAD_REQUEST", "Send the file as application/octet-stream.");
    }
    const query = new URL(req.url ?? "/", "http://localhost").searchParams;
    const parsed = uploadParamsSchema.safeParse({
      name: query.get("name") ?? undefined,
      variant: query.get("variant") || undefined,
      modelId: query.get("modelId") || undefined,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        "BAD_REQUEST",
        `Invalid ${issue?.path.join(".") || "query"}: ${issue?.message ?? "not valid"}`,
      );
    }
    const declared = req.headers["content-length"];
    // A multi-gigabyte upload may take long, but it must keep moving: a stalled client is cut off rather
    // than holding a half-written file. Validation afterwards sends nothing, so the guard ends with the body.
    req.setTimeout(UPLOAD_STALL_MS, () => req.destroy());
    const created = await receiveUpload(deps.db, deps.blobs, req, parsed.data, {
      maxBytes: deps.maxUploadBytes ?? maxUploadBytesFromEnv(),
      declaredBytes: declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : null,
      userId: session.user.id,
      onBodyRead: () => req.setTimeout(0),
    });
    deps.db.log.info({ userId: session.user.id, ...created }, "model uploaded");
    sendJson(res, 201, { ok: true, data: created });
  } catch (e) {
    if (!isAppError(e)) deps.db.log.error({ err: e }, "model upload failed");
    else deps.db.log.warn({ code: e.code, message: e.message }, "model upload refused");
    // The client went away (a truncated upload): nobody to answer. (req.destroyed is no sign of that: a
    // request is destroyed once its body has been read.)
    if (req.socket.destroyed) return;
    // An unread body (refused before or while reading it) is not drained: the connection closes after the
    // answer, so a client sending gigabytes stops instead of sending them into the void.
    const unread = !req.complete;
    sendFailure(res, e, {
      ...(unread ? { connection: "close" } : {}),
      ...(isRateLimited(e) ? { "retry-after": String(e.retryAfterSec) } : {}),
    });
    if (unread) res.once("finish", () => setTimeout(() => req.destroy(), 1000).unref());
  }
}
