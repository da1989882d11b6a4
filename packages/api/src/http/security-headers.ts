import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./json.ts";

export interface SecurityOptions {
  /** LABFLEET_TRUST_PROXY: believe X-Forwarded-Proto and X-Forwarded-Host from the reverse proxy in front. */
  trustProxy?: boolean;
  /** Origins besides the server's own that may send mutations (the public URL when it differs from Host). */
  trustedOrigins?: string[];
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();

/** Whether the client reached us over https: a TLS socket, or a trusted proxy that says so. */
export function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy && first(req.headers["x-forwarded-proto"]) === "https";
}

// A Host header is client input: only a plain host[:port] may go into a header or be compared as an origin.
const HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** The host the client asked for (host[:port]), or null when the header is missing or not a plain host. */
export function requestHost(req: IncomingMessage, trustProxy: boolean): string | null {
  const host = (trustProxy ? first(req.headers["x-forwarded-host"]) : undefined) ?? req.headers.host;
  return host && HOST.test(host) ? host.toLowerCase() : null;
}

/**
 * The Content-Security-Policy. Next's app router writes its bootstrap (`self.__next_f.push(...)`) as inline
 * scripts; a nonce would need every page rendered per request (no static pages), so inline scripts are
 * allowed and everything else is shut: no other origin for scripts, connections, frames, forms or plugins.
 * React renders `style` attributes, hence 'unsafe-inline' for styles. The dashboard's socket.io connection goes
 * to the same origin; `ws:`/`wss:` of the host are named for browsers where 'self' does not cover websockets.
 */
export function contentSecurityPolicy(host: string | null): string {
  const sockets = host ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join("; ");
}

/** The headers every response carries: pages, API answers, the installer and model files alike. */
export function securityHeaders(req: IncomingMessage, options: SecurityOptions = {}): Record<string, string> {
  const trustProxy = options.trustProxy ?? false;
  const headers: Record<string, string> = {
    "content-security-policy": contentSecurityPolicy(requestHost(req, trustProxy)),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  };
  // Over plain http (the classroom LAN default) the header would be ignored, and over https it must not be
  // sent for a server that might later be reached over http on the same name.
  if (isHttps(req, trustProxy)) headers["strict-transport-security"] = "max-age=31536000";
  return headers;
}

/**
 * Whether a mutation comes from another site. Browsers send Origin with every POST; it must be this server's
 * own origin (from Host) or a trusted one. A request without Origin is not from a browser form or script of
 * another site, unless Sec-Fetch-Site says so.
 */
export function isCrossSiteRequest(req: IncomingMessage, options: SecurityOptions = {}): boolean {
  const trustProxy = options.trustProxy ?? false;
  const origin = req.headers.origin;
  if (!origin) {
    const site = req.headers["sec-fetch-site"];
    return site === "cross-site" || site === "same-site";
  }
  if (origin === "null") return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return true;
  }
  const own = requestHost(req, trustProxy);
  const scheme = isHttps(req, trustProxy) ? "https:" : "http:";
  if (own && parsed.host === own && parsed.protocol === scheme) return false;
  return !(options.trustedOrigins ?? []).some((t) => {
    try {
      return new URL(t).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}

/**
 * Runs first for every HTTP request but socket.io's: sets the security headers, and refuses tRPC mutations
 * (POST /api/trpc/...) from another origin with 403 FORBIDDEN. Returns true when it answered the request.
 * (better-auth checks Origin itself for /api/auth; uploads require a content type no cross-site form can send.)
 */
export function createSecurityGuard(options: SecurityOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    for (const [name, value] of Object.entries(securityHeaders(req, options))) res.setHeader(name, value);
    if (req.method === "POST" && path.startsWith("/api/trpc/") && isCrossSiteRequest(req, options)) {
      sendJson(res, 403, {
        error: { code: "FORBIDDEN", message: "Cross-origin requests cannot change anything here." },
      });
      return true;
    }
    return false;
  };
}
