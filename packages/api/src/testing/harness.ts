import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@labfleet/db/test-db";
import { createAuth } from "../auth.ts";
import { createControlPlane } from "../control-plane.ts";
import type { InstallOptions } from "../http/install.ts";
import { createLogger } from "../logger.ts";
import type { Role } from "../roles.ts";
import { createCaller } from "../routers/root.ts";
import type { Db } from "../services/deps.ts";
import { createUser } from "../services/users.ts";
import { sessionUser } from "../trpc/init.ts";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
}

/**
 * A real control plane for integration tests: a fresh PostgreSQL database, better-auth, tRPC and socket.io on
 * a loopback port chosen by the OS. No pages (Next is exercised by the end-to-end tests).
 */
export async function startTestControlPlane(
  opts: { watchedMs?: number; idleMs?: number; pushConfirmMs?: number; install?: InstallOptions } = {},
) {
  const database = await createTestDatabase();
  const modelsDir = await mkdtemp(path.join(tmpdir(), "labfleet-models-"));
  const log = createLogger({ level: process.env.LOG_LEVEL ?? "silent" });
  const db: Db = { prisma: database.prisma, pool: database.pool, log };
  const auth = createAuth({
    prisma: database.prisma,
    secret: "integration-test-secret-0123456789abcdef",
    baseURL: "http://127.0.0.1",
  });
  const makePlane = () =>
    createControlPlane({
      db,
      auth,
      // Live pushes confirmed every 100 ms, so that tests waiting on a confirmation are quick; 0 turns the lane off.
      intervals: {
        watchedMs: opts.watchedMs ?? 250,
        idleMs: opts.idleMs ?? 1000,
        pushConfirmMs: opts.pushConfirmMs ?? 100,
      },
      modelsDir,
      ...(opts.install ? { install: opts.install } : {}),
    });
  // `let`: stopServer()/startServer() replace it with a fresh one on the same port and database.
  let plane = makePlane();
  let serving = true;
  await new Promise<void>((resolve) => plane.httpServer.listen(0, "127.0.0.1", () => resolve()));
  const { port } = plane.httpServer.address() as AddressInfo;

  /** Stops the control plane as a crash or a restart would (the database stays): agents see it gone. */
  async function stopServer(): Promise<void> {
    if (!serving) return;
    serving = false;
    await plane.close();
    plane.httpServer.closeAllConnections();
    await new Promise<void>((resolve) => plane.httpServer.close(() => resolve()));
  }

  /** Starts a new control plane on the same port and the same database, as a restarted server would. */
  async function startServer(): Promise<void> {
    if (serving) return;
    plane = makePlane();
    await new Promise<void>((resolve, reject) => {
      plane.httpServer.once("error", reject);
      plane.httpServer.listen(port, "127.0.0.1", () => resolve());
    });
    serving = true;
  }
  const url = `http://127.0.0.1:${port}`;

  let n = 0;
  async function user(role: Role): Promise<TestUser> {
    n++;
    const email = `${role}${n}@example.test`;
    const password = `password-${role}-${n}`;
    const created = await createUser(auth, { email, password, name: `${role} ${n}`, role });
    return { id: created.id, email, password, role };
  }

  /** A tRPC caller as this user (or anonymous), through the real router and middleware. */
  function caller(u: TestUser | null) {
    const ctxUser = u ? sessionUser({ id: u.id, name: u.email, email: u.email, role: u.role }) : null;
    return createCaller({ db, auth, hub: plane.hub, blobs: plane.blobs, log, user: ctxUser });
  }

  /** Signs in through the auth HTTP API and returns the session cookie, as a browser would hold it. */
  async function cookieFor(u: TestUser): Promise<string> {
    const res = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
      body: JSON.stringify({ email: u.email, password: u.password }),
    });
    if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  }

  return {
    url,
    db,
    auth,
    /** The control plane now serving (a new one after startServer()). */
    get plane() {
      return plane;
    },
    port,
    stopServer,
    startServer,
    user,
    caller,
    cookieFor,
    async close() {
      await stopServer();
      await database.close();
      await rm(modelsDir, { recursive: true, force: true });
    },
  };
}

export type TestControlPlane = Awaited<ReturnType<typeof startTestControlPlane>>;

/** Polls `fn` until it returns a truthy value; bounded in time, never an endless loop. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}
