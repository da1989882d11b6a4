/**
 * A real HTTP server on 127.0.0.1 serving content-addressed files the way the LabFleet server does (device auth
 * headers, Range with If-Range, the quoted SHA-256 as ETag), with switches to misbehave, for the cache's tests.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ModelFileRef } from "@labfleet/protocol";

export const DEVICE = { deviceId: "dev_files", secret: "lfd_files_secret_0123456789" };

export interface FileRequest {
  sha256: string;
  headers: IncomingHttpHeaders;
  /** The response finished (false: cut, or closed by the client). */
  completed: boolean;
  /** The connection closed before the whole response was sent. */
  closedEarly: boolean;
}

export interface FileServerBehaviour {
  /** Cut the connection after this many body bytes, on the first `cutTimes` requests of a file. */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Serve these bytes instead of the file's (same length by default): a hash mismatch. */
  corrupt?: boolean;
  /** Answer every request with 200 and the whole file (a server that ignores Range). */
  ignoreRange?: boolean;
  /** Answer the first n requests with this status. */
  failFirst?: { times: number; status: number };
  /** Send the body in chunks of this size with this pause between them (a slow link). */
  chunkBytes?: number;
  chunkDelayMs?: number;
  /** The credentials it accepts; DEVICE by default. */
  device?: { deviceId: string; secret: string };
  /** Listen on this port (a server coming back where it was); 0 by default. */
  port?: number;
}

export interface FileServer {
  url: string;
  port: number;
  requests: FileRequest[];
  add(name: string, bytes: Buffer, role?: string): ModelFileRef;
  behaviour: FileServerBehaviour;
  close(): Promise<void>;
}

export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Deterministic bytes that differ per seed (no two test files hash alike). */
export function testBytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed * 2_654_435_761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function writeBody(
  res: ServerResponse,
  body: Buffer,
  b: FileServerBehaviour,
  cut: number | null,
  req: FileRequest,
): Promise<void> {
  const size = b.chunkBytes ?? 64 * 1024;
  let sent = 0;
  for (let i = 0; i < body.length; i += size) {
    if (res.destroyed) return;
    let chunk = body.subarray(i, i + size);
    if (cut !== null && sent + chunk.length >= cut) {
      chunk = chunk.subarray(0, cut - sent);
      // Flush what was promised, then drop the connection mid-body.
      await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    const ok = res.write(chunk);
    sent += chunk.length;
    if (!ok) await new Promise((r) => res.once("drain", r));
    if (b.chunkDelayMs) await new Promise((r) => setTimeout(r, b.chunkDelayMs));
  }
  res.end(() => {
    req.completed = true;
  });
}

export interface FileHandler {
  /** Answers a request under /api/models/files/; returns false (untouched) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  requests: FileRequest[];
  behaviour: FileServerBehaviour;
  add(name: string, bytes: Buffer, role?: string): ModelFileRef;
}

/** The file serving alone, to mount on another test server (the agent's socket.io server, in the run test). */
export function createFileHandler(behaviour: FileServerBehaviour = {}): FileHandler {
  const files = new Map<string, Buffer>();
  const requests: FileRequest[] = [];
  const served = new Map<string, number>();
  const state = behaviour;
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const m = /^\/api\/models\/files\/([0-9a-f]{64})$/.exec(req.url ?? "");
    if (!req.url?.startsWith("/api/models/files/")) return false;
    const sha = m?.[1] ?? "";
    const record: FileRequest = { sha256: sha, headers: req.headers, completed: false, closedEarly: false };
    res.on("close", () => {
      record.closedEarly = !res.writableFinished;
    });
    requests.push(record);
    const n = (served.get(sha) ?? 0) + 1;
    served.set(sha, n);
    const device = state.device ?? DEVICE;
    if (
      req.headers["x-labfleet-device-id"] !== device.deviceId ||
      req.headers.authorization !== `Bearer ${device.secret}`
    ) {
      res.writeHead(401).end();
      return true;
    }
    const file = files.get(sha);
    if (!file) {
      res.writeHead(404).end();
      return true;
    }
    if (state.failFirst && n <= state.failFirst.times) {
      res.writeHead(state.failFirst.status).end();
      return true;
    }
    const body = state.corrupt ? Buffer.from(file.map((x) => x ^ 0xff)) : file;
    const etag = `"${sha}"`;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
    const ifRange = req.headers["if-range"];
    const useRange = range?.[1] !== undefined && !state.ignoreRange && (ifRange === undefined || ifRange === etag);
    const start = useRange ? Number(range?.[1]) : 0;
    if (start >= body.length && useRange) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return true;
    }
    const part = body.subarray(start);
    const headers: Record<string, string | number> = {
      etag,
      "accept-ranges": "bytes",
      "content-length": part.length,
      "content-type": "application/octet-stream",
    };
    if (useRange) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(useRange ? 206 : 200, headers);
    const cut = state.cutAfterBytes !== undefined && n <= (state.cutTimes ?? 1) ? state.cutAfterBytes : null;
    void writeBody(res, part, state, cut, record);
    return true;
  };
  return {
    handle,
    requests,
    behaviour: state,
    add(name, bytes, role = "model") {
      const sha256 = sha256Of(bytes);
      files.set(sha256, bytes);
      return { sha256, sizeBytes: bytes.length, name, role };
    },
  };
}

export async function startFileServer(behaviour: FileServerBehaviour = {}): Promise<FileServer> {
  const h = createFileHandler(behaviour);
  const server = createServer((req, res) => {
    if (!h.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(behaviour.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: h.requests,
    behaviour: h.behaviour,
    add: h.add,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
