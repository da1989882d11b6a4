// A tRPC client over the real HTTP endpoint, for the security tests: what a browser (or an attacker) sends.
import { request } from "node:http";
import superjson from "superjson";

export type ProcedureType = "query" | "mutation";

/** One answer: success, or the error code as the server put it on the wire (null when it gave none). */
export type HttpAnswer =
  | { ok: true; status: number; data: unknown; body: string }
  | { ok: false; status: number; code: string | null; message: string | null; body: string };

export interface HttpCaller {
  url: string;
  /** The session cookie of the caller, if any. */
  cookie?: string | null;
  /** Extra headers (a device's credential, for the matrix's "device" role). */
  headers?: Record<string, string>;
}

function errorOf(body: unknown): { code: string | null; message: string | null } {
  if (typeof body !== "object" || body === null) return { code: null, message: null };
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return { code: null, message: null };
  // tRPC's errors come wrapped by the transformer ({ json: shape }); the HTTP guard's are plain ({ code, message }).
  const shape = ("json" in error ? (error as { json: unknown }).json : error) as {
    message?: unknown;
    code?: unknown;
    data?: { code?: unknown };
  };
  const code =
    typeof shape.data?.code === "string" ? shape.data.code : typeof shape.code === "string" ? shape.code : null;
  return { code, message: typeof shape.message === "string" ? shape.message : null };
}

/**
 * Sends a raw request to /api/trpc/<path>: `rawInput` is what goes on the wire (already encoded), or absent. Each
 * request has a connection of its own: a server that answers an oversized body early closes that connection, and
 * a pooled client would otherwise send the next request down a socket that is being closed.
 */
export async function sendRaw(
  caller: HttpCaller,
  path: string,
  type: ProcedureType,
  rawInput: string | undefined,
  extraHeaders: Record<string, string> = {},
  batch = false,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { origin: caller.url, ...caller.headers };
  if (caller.cookie) headers.cookie = caller.cookie;
  const params = new URLSearchParams();
  if (batch) params.set("batch", "1");
  if (type === "query" && rawInput !== undefined) params.set("input", rawInput);
  const qs = params.size > 0 ? `?${params}` : "";
  const body = type === "mutation" && rawInput !== undefined ? Buffer.from(rawInput) : null;
  if (type === "mutation") headers["content-type"] = "application/json";
  Object.assign(headers, extraHeaders);
  if (body) headers["content-length"] = String(body.length);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${caller.url}/api/trpc/${path}${qs}`,
      { method: type === "query" ? "GET" : "POST", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    // The server may answer (413) and close before an oversized body is all sent: the answer is what counts.
    req.on("error", reject);
    req.end(body ?? undefined);
  });
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (status === 200 && parsed && typeof parsed === "object" && "result" in parsed) {
    const result = (parsed as { result: { data?: unknown } }).result;
    const data = result.data ? superjson.deserialize(result.data as never) : undefined;
    return { ok: true, status, data, body: text };
  }
  return { ok: false, status, ...errorOf(parsed), body: text };
}

/** Calls a procedure with a well-formed input, encoded as the real client does (superjson). */
export function callHttp(caller: HttpCaller, path: string, type: ProcedureType, input?: unknown): Promise<HttpAnswer> {
  const raw = input === undefined ? undefined : JSON.stringify(superjson.serialize(input));
  return sendRaw(caller, path, type, raw);
}

/** What no answer may contain: a stack frame, a file path of the server, or a database/driver message. */
export const LEAK =
  /\n\s+at [^\n]*\(|at (async )?[\w.<>]+ \(?(file:|\/|node:)|\/work\/|node_modules|\.ts:\d+|prisma|invalid `|PrismaClient|ECONNREFUSED|SyntaxError: |TypeError: |ReferenceError: |stack/i;
