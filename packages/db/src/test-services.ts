// The machine's PostgreSQL and Redis, which the scale-out tests need: whether each answers, and if not the reason
// the test gives when it skips (naming the address and the variable that sets it).
import pg from "pg";
import { createClient } from "redis";

/** null when PostgreSQL at `url` answers a query within a few seconds; otherwise why not. */
export async function postgresUnreachable(url: string, setting: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (e) {
    return `PostgreSQL at ${url} is not reachable (${(e as Error).message}); set ${setting}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** null when Redis at `url` answers a PING within a few seconds; otherwise why not. */
export async function redisUnreachable(url: string, setting: string): Promise<string | null> {
  const client = createClient({ url, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (e) {
    return `Redis at ${url} is not reachable (${(e as Error).message}); set ${setting}`;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}
