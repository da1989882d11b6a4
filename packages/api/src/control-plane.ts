import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { AGENT_NAMESPACE, ENROLL_PATH, LIMITS } from "@labfleet/protocol";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { fromNodeHeaders, toNodeHandler } from "better-auth/node";
import { Server } from "socket.io";
import type { Auth } from "./auth.ts";
import { handleEnroll } from "./http/enroll.ts";
import { createInstallHandler, type InstallOptions } from "./http/install.ts";
import { sendError, sendJson } from "./http/json.ts";
import { createMetricsHandler, METRICS_PATH } from "./http/metrics.ts";
import { handleModelsHttp } from "./http/models.ts";
import { type RateLimits, sharedRateLimits } from "./http/rate-limit.ts";
import { createSecurityGuard } from "./http/security-headers.ts";
import { registerJobs } from "./jobs/index.ts";
import { JobScheduler } from "./jobs/scheduler.ts";
import { attachAgentNamespace } from "./realtime/agent-namespace.ts";
import { attachDashboardNamespace } from "./realtime/dashboard-namespace.ts";
import { measuringParser } from "./realtime/event-size.ts";
import { EdgeCounters } from "./realtime/handle.ts";
import { FleetHub, type TelemetryIntervals } from "./realtime/hub.ts";
import { ScaleOut } from "./realtime/scale-out.ts";
import { DEFAULT_PUSH_CONFIRM_MS } from "./realtime/telemetry-push.ts";
import { appRouter } from "./routers/root.ts";
import type { Db } from "./services/deps.ts";
import { BlobStore } from "./services/models/blob-store.ts";
import { sessionUser } from "./trpc/init.ts";

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface ControlPlaneOptions {
  db: Db;
  auth: Auth;
  intervals: TelemetryIntervals;
  /** Serves everything that is not an API (the Next app). Absent in API-only tests. */
  pages?: PageHandler;
  /** Where model files are kept (content-addressed blobs), e.g. <data folder>/models. */
  modelsDir: string;
  /** Model upload cap in bytes (LABFLEET_MODEL_MAX_UPLOAD_MB); absent: 16 GiB. */
  maxUploadBytes?: number;
  /** The one-line installer under /install/ (public). Absent: those paths answer 404. */
  install?: InstallOptions;
  /** Sign-in, enrollment and upload limits, and whether a proxy's X-Forwarded-* is believed. Absent: shared, memory. */
  limits?: RateLimits;
  /** Origins besides the request's own that may send tRPC mutations (the public URL). */
  trustedOrigins?: string[];
  /**
   * Several processes on one Redis (REDIS_URL): socket.io broadcasts, acks and disconnects cross processes, and
   * device presence is shared. Absent: one process, everything in memory.
   */
  redis?: { url: string; prefix?: string; refreshMs?: number };
}

/** Page paths anyone may load; every other page needs a session. */
const PUBLIC_PAGE = /^\/(login(\/.*)?|_next\/.*|favicon\.ico|.*\.(svg|png|ico|css|js|txt|woff2?))$/;

/**
 * One HTTP server for everything: the auth API, tRPC, agent enrollment, socket.io (agents and dashboards)
 * and the pages. Returns it unstarted; the caller listens.
 */
export function createControlPlane(options: ControlPlaneOptions) {
  const { db, auth, pages } = options;
  const counters = new EdgeCounters();
  const authHandler = toNodeHandler(auth);
  const installHandler = options.install ? createInstallHandler(options.install) : null;
  const limits = options.limits ?? sharedRateLimits();
  const guard = createSecurityGuard({ trustProxy: limits.trustProxy, trustedOrigins: options.trustedOrigins ?? [] });

  // requestTimeout covers the whole body: Node's default (300 s) kills a multi-gigabyte upload. Headers keep
  // their own timeout (headersTimeout), and the upload handler cuts off a stalled body after 120 s.
  const httpServer: HttpServer = createServer({ requestTimeout: 0 });
  const scaleOut = options.redis ? new ScaleOut({ ...options.redis, log: db.log }) : null;
  const io = new Server(httpServer, {
    maxHttpBufferSize: LIMITS.maxHttpBufferBytes,
    transports: ["websocket", "polling"],
    serveClient: false,
    parser: measuringParser,
    ...(scaleOut ? { adapter: scaleOut.adapter() as never } : {}),
  });
  // Live samples are confirmed together unless the configuration says 0 (each report then waits for its own ack).
  const intervals = { ...options.intervals, pushConfirmMs: options.intervals.pushConfirmMs ?? DEFAULT_PUSH_CONFIRM_MS };
  const hub = new FleetHub(
    db,
    io.of("/dashboard") as never,
    intervals,
    scaleOut ? { agents: io.of(AGENT_NAMESPACE), scaleOut } : null,
  );
  scaleOut?.start(hub);
  const blobs = new BlobStore(options.modelsDir);

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    // A roster CSV of 1 MB grows when JSON-escaped: room for it, still a bound.
    maxBodySize: 2 * 1024 * 1024,
    async createContext({ req }) {
      const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      return { db, auth, hub, blobs, log: db.log, user: session ? sessionUser(session.user) : null };
    },
  });

  const handleMetrics = createMetricsHandler({ db, hub });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    // socket.io answers its own path; the request listener must leave it alone.
    if (path.startsWith("/socket.io/")) return;
    // Security headers on every answer; cross-origin tRPC mutations refused.
    if (guard(req, res, path)) return;
    if (path.startsWith("/api/auth/")) {
      // The sign-in limits read the client address from X-Forwarded-For. It is set here from the socket (or,
      // behind a trusted proxy, from the proxy's first hop): a client cannot forge its way around the limits.
      req.headers["x-forwarded-for"] = limits.clientIp(req);
      return void (await authHandler(req, res));
    }
    if (path.startsWith("/api/trpc/")) return void trpcHandler(req, res);
    if (path === ENROLL_PATH) return handleEnroll(req, res, { db, counters, limits });
    if (path === "/api/health") return sendJson(res, 200, { ok: true });
    if (installHandler && path.startsWith("/install/")) return installHandler(req, res, path);
    if (path === METRICS_PATH) return handleMetrics(req, res);
    if (path.startsWith("/api/models/")) {
      const maxUploadBytes = options.maxUploadBytes;
      return handleModelsHttp(req, res, path, {
        db,
        auth,
        hub,
        blobs,
        limits,
        ...(maxUploadBytes ? { maxUploadBytes } : {}),
      });
    }
    if (path.startsWith("/api/")) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: "No such API." } });
    if (!pages) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: "No pages are served here." } });
    if (!PUBLIC_PAGE.test(path)) {
      const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      if (!session) {
        res.writeHead(302, { location: `/login?next=${encodeURIComponent(req.url ?? "/")}` });
        res.end();
        return;
      }
    }
    await pages(req, res);
  }

  httpServer.on("request", (req, res) => {
    route(req, res).catch((e: unknown) => {
      db.log.error({ err: e, url: req.url }, "request failed");
      sendError(res, e);
    });
  });

  const agents = attachAgentNamespace(io, {
    db,
    hub,
    counters,
    ...(intervals.pushConfirmMs ? { pushConfirmMs: intervals.pushConfirmMs } : {}),
  });
  attachDashboardNamespace(io, { db, hub, auth, counters });

  // Background jobs; the caller starts them (tests run them one at a time with jobs.runNow).
  const jobs = new JobScheduler(db);
  registerJobs(jobs, { db, hub });

  return {
    httpServer,
    io,
    hub,
    blobs,
    counters,
    jobs,
    scaleOut,
    async close(): Promise<void> {
      await jobs.stop();
      agents.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await hub.drain();
      await scaleOut?.close();
    },
  };
}

export type ControlPlane = ReturnType<typeof createControlPlane>;
