import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { INSTALL_PATHS } from "@labfleet/protocol";
import { AppError, isAppError } from "../errors.ts";
import { renderInstallScript } from "./install-script.ts";
import { sendError } from "./json.ts";

export interface InstallOptions {
  /** The folder the agent's build packs into (apps/agent/dist/pack), holding labfleet-agent-<version>.tgz. */
  agentPackDir: string;
  /**
   * The origin agents reach this server at (LABFLEET_PUBLIC_URL). When unset, the address the request
   * arrived on, read from the socket: never the Host header, which any client can set.
   */
  publicUrl?: string | undefined;
}

/** The bare origin of a configured public URL; a path, credentials or another scheme is a configuration bug. */
export function publicOrigin(raw: string): string {
  const url = new URL(raw);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    throw new Error(`The public URL must be an http(s) URL without credentials, not ${url.protocol}//...`);
  }
  return url.origin;
}

function socketOrigin(req: IncomingMessage): string {
  const address = (req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:(?=\d+\.)/, "");
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort ?? 80}`;
}

/** Hashes a file once per (path, size, mtime): a rebuilt tarball gets a new ETag, an unchanged one no re-read. */
const hashes = new Map<string, string>();
async function sha256Of(path: string, size: number, mtimeMs: number): Promise<string> {
  const key = `${path}:${size}:${mtimeMs}`;
  const known = hashes.get(key);
  if (known) return known;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest("hex");
  hashes.clear();
  hashes.set(key, hex);
  return hex;
}

async function findTarball(dir: string): Promise<string | null> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const tarballs = names.filter((n) => /^labfleet-agent-[0-9A-Za-z.+-]+\.tgz$/.test(n)).sort();
  const last = tarballs.at(-1);
  return last ? join(dir, last) : null;
}

async function sendTarball(req: IncomingMessage, res: ServerResponse, o: InstallOptions): Promise<void> {
  const path = await findTarball(o.agentPackDir);
  if (!path) throw new AppError("NOT_FOUND", "The agent package is not built on this server (npm run build).");
  const info = await stat(path);
  const etag = `"${await sha256Of(path, info.size, info.mtimeMs)}"`;
  const headers = {
    etag,
    // Revalidate every time: the server may have been upgraded since.
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": "application/gzip",
    "content-length": info.size,
    "content-disposition": 'attachment; filename="labfleet-agent.tgz"',
  });
  if (req.method === "HEAD") return void res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(path);
    stream.once("error", reject);
    res.once("close", resolve);
    stream.pipe(res);
  });
}

/**
 * GET /install/agent.sh and /install/labfleet-agent.tgz: public, read-only, nothing secret in either.
 * A bad public URL fails here, at boot, not on the first admin's request.
 */
export function createInstallHandler(o: InstallOptions) {
  const configured = o.publicUrl ? publicOrigin(o.publicUrl) : null;
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw new AppError("BAD_REQUEST", "Use GET.");
      if (path === INSTALL_PATHS.agentTarball) return await sendTarball(req, res, o);
      if (path !== INSTALL_PATHS.script) throw new AppError("NOT_FOUND", "No such installer file.");
      const body = renderInstallScript(configured ?? socketOrigin(req));
      res.writeHead(200, {
        "content-type": "text/x-shellscript; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      // Anything unplanned goes to the control plane's handler, which logs it and answers INTERNAL.
      if (!isAppError(e)) throw e;
      sendError(res, e);
    }
  };
}
