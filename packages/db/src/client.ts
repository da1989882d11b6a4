/**
 * Database clients: Prisma (through the pg driver adapter, so no native query engine is needed) for the
 * application's models, and a plain pg.Pool for raw SQL such as the telemetry batch insert.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";

export interface ConnectionOptions {
  /** Largest number of connections this client opens. pg's default is 10. */
  max?: number;
  /**
   * Called when an idle connection fails (e.g. the server restarted). The pool drops that connection and later
   * queries reconnect; without a listener pg would crash the process with an unhandled 'error' event.
   */
  onError?: (error: Error) => void;
}

const ignoreIdleError = (): void => {};

export function createPrismaClient(databaseUrl: string, options: ConnectionOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, ...(options.max ? { max: options.max } : {}) },
    { onPoolError: options.onError ?? ignoreIdleError },
  );
  return new PrismaClient({ adapter });
}

export function createPool(databaseUrl: string, options: ConnectionOptions = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, ...(options.max ? { max: options.max } : {}) });
  pool.on("error", options.onError ?? ignoreIdleError);
  return pool;
}
