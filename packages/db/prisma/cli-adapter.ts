/**
 * A driver adapter for the Prisma CLI only (prisma.config.ts → engine "js"), so that `migrate dev`, `migrate
 * deploy`, `migrate diff` and `migrate status` run offline through Prisma 6.19.3's WebAssembly schema engine.
 * The application never uses this file: it talks to the database through src/client.ts.
 *
 * It works around four problems of `@prisma/adapter-pg` 6.19.3 with that engine (each one seen failing here):
 *  1. The engine's catalog queries return columns of type `name` (OID 19) and `"char"` (OID 18), which the adapter
 *     refuses ("Column type 'name' could not be deserialized"; upstream issue prisma/orm#27403,
 *     https://github.com/prisma/orm/issues/27403). `name` becomes text; `"char"` must be reported as ColumnTypeEnum.Character,
 *     because reporting it as text makes the second run crash with `RuntimeError: unreachable`.
 *  2. The stock `connectToShadowDb()` connects to the main database again (pg prefers `connectionString` over
 *     `database`), so `migrate dev` fails with P3006 "relation already exists". We create and drop a real one,
 *     or use SHADOW_DATABASE_URL when it is set.
 *  3. The stock `executeScript()` splits on `;`, which breaks `$$`-quoted function bodies. We send the whole
 *     script as one simple query, as the native engine does.
 *  4. The engine leaves 10 s and 60 s timers armed, so the CLI only exits a minute after it is done. We unref
 *     long timers in the CLI process.
 * Delete this file (and use `new PrismaPg(...)` in prisma.config.ts) once Prisma fixes these upstream.
 */
import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type QueryResult = Awaited<ReturnType<PgAdapter["queryRaw"]>>;

const OID_CHAR = 18;
const OID_NAME = 19;
const OID_TEXT = 25;
/** ColumnTypeEnum.Character in @prisma/driver-adapter-utils (not a direct dependency, so the value is inlined). */
const COLUMN_TYPE_CHARACTER = 6;
/** Carries the indexes of `"char"` columns from the pg result to our queryRaw, on the rows array the adapter passes on. */
const CHAR_COLUMNS = Symbol("labfleet.charColumns");

type PgFieldLike = { dataTypeID: number };
type PgResultLike = { fields?: PgFieldLike[]; rows?: unknown[] };

/** Rewrites the OIDs the adapter cannot map before it looks at them (workaround 1). */
function patchResult<T>(result: T): T {
  const res = result as PgResultLike | undefined;
  if (!res || !Array.isArray(res.fields) || !Array.isArray(res.rows)) return result;
  const charColumns: number[] = [];
  res.fields.forEach((field, i) => {
    if (field.dataTypeID === OID_NAME) field.dataTypeID = OID_TEXT;
    else if (field.dataTypeID === OID_CHAR) {
      field.dataTypeID = OID_TEXT;
      charColumns.push(i);
    }
  });
  if (charColumns.length > 0) Object.defineProperty(res.rows, CHAR_COLUMNS, { value: charColumns });
  return result;
}

/** pg.Client whose results (promise or callback form, as pg-pool uses) go through patchResult. */
class CliClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; we only post-process results.
  override query(...args: any[]): any {
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, res: unknown) => last(err, err ? res : patchResult(res));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return out instanceof Promise ? out.then(patchResult) : out;
  }
}

async function fixCharColumns(pending: Promise<QueryResult>): Promise<QueryResult> {
  const result = await pending;
  const charColumns = (result.rows as unknown as Record<symbol, number[] | undefined>)[CHAR_COLUMNS];
  for (const i of charColumns ?? [])
    result.columnTypes[i] = COLUMN_TYPE_CHARACTER as QueryResult["columnTypes"][number];
  return result;
}

/** Wraps a queryable (adapter or transaction): queryRaw fixes "char" columns, the rest is passed through. */
function wrapQueryable<T extends { queryRaw: PgAdapter["queryRaw"] }>(target: T, overrides: Partial<T> = {}): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === "queryRaw") return (q: Parameters<T["queryRaw"]>[0]) => fixCharColumns(t.queryRaw(q));
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

function wrapAdapter(inner: PgAdapter, afterDispose?: () => Promise<void>): PgAdapter {
  return wrapQueryable(inner, {
    // Workaround 3: one query, so `$$` bodies and semicolons inside strings survive.
    async executeScript(script: string) {
      try {
        await inner.underlyingDriver().query(script);
      } catch (error) {
        // The adapter's own error mapping (protected, so reached through a cast) keeps Prisma's error codes.
        (inner as unknown as { onError(e: unknown): never }).onError(error);
      }
    },
    async startTransaction(isolationLevel) {
      return wrapQueryable(await inner.startTransaction(isolationLevel));
    },
    async dispose() {
      await inner.dispose();
      await afterDispose?.();
    },
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Runs one statement on the server of `url`, through its own database or else the `postgres` one. */
async function adminQuery(url: string, sql: string): Promise<void> {
  for (const candidate of [url, withDatabase(url, "postgres")]) {
    const client = new pg.Client({ connectionString: candidate });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      if ((error as { code?: string }).code === "3D000" && candidate === url) continue;
      throw error;
    }
    try {
      await client.query(sql);
      return;
    } finally {
      await client.end();
    }
  }
}

/** The factory prisma.config.ts hands to the CLI. */
export class CliAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "@prisma/adapter-pg";

  constructor(
    private readonly databaseUrl: string,
    private readonly shadowDatabaseUrl?: string,
  ) {}

  private open(url: string): Promise<PgAdapter> {
    return new PrismaPg({ connectionString: url, Client: CliClient, allowExitOnIdle: true }).connect();
  }

  async connect(): Promise<PgAdapter> {
    return wrapAdapter(await this.open(this.databaseUrl));
  }

  /** Workaround 2: a real, throw-away shadow database (dropped on dispose). */
  async connectToShadowDb(): Promise<PgAdapter> {
    if (this.shadowDatabaseUrl) return wrapAdapter(await this.open(this.shadowDatabaseUrl));
    const name = `prisma_shadow_${randomBytes(6).toString("hex")}`;
    await adminQuery(this.databaseUrl, `CREATE DATABASE "${name}"`);
    const inner = await this.open(withDatabase(this.databaseUrl, name)).catch(async (error: unknown) => {
      await adminQuery(this.databaseUrl, `DROP DATABASE IF EXISTS "${name}"`);
      throw error;
    });
    return wrapAdapter(inner, () => adminQuery(this.databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

/**
 * Workaround 4: timers of 5 s or more no longer keep the CLI process alive. Short ones (I/O retries, debounces)
 * are left alone. Only prisma.config.ts calls this, so only the CLI process is affected.
 */
export function unrefLongTimers(minMs = 5_000): void {
  const g = globalThis as { __labfleetTimersUnrefd?: boolean };
  if (g.__labfleetTimersUnrefd) return;
  g.__labfleetTimersUnrefd = true;
  for (const name of ["setTimeout", "setInterval"] as const) {
    const original = globalThis[name] as (...args: unknown[]) => { unref?: () => unknown };
    const patched = (handler: unknown, ms?: unknown, ...rest: unknown[]) => {
      const timer = original(handler, ms, ...rest);
      if (typeof ms === "number" && ms >= minMs) timer?.unref?.();
      return timer;
    };
    Object.assign(patched, original);
    (globalThis as Record<string, unknown>)[name] = patched;
  }
}

export function cliDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set. The Prisma CLI (migrate dev/deploy/diff/status) needs a PostgreSQL server, e.g. " +
        "DATABASE_URL=postgresql://root@127.0.0.1:5432/labfleet_dev (prisma.config.ts does not read .env).",
    );
  }
  return url;
}
