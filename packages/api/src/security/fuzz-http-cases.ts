// The HTTP half of the fuzz: which procedures there are, and one hostile request at a time for them, from a
// seeded generator. Requests whose input a mutation would accept go out anonymously, so the fuzz never writes.
import superjson from "superjson";
import type { z } from "zod";
import { appRouter } from "../routers/root.ts";
import { type GenOptions, hugeString, inputFor, inputKeys, type Rng } from "./fuzz-gen.ts";
import type { ProcedureType } from "./trpc-http.ts";

/** tRPC's error codes as they appear in `data.code`; INTERNAL_SERVER_ERROR is not among the accepted answers. */
export const TRPC_CODES = new Set([
  "PARSE_ERROR",
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_SUPPORTED",
  "TIMEOUT",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNPROCESSABLE_CONTENT",
  "TOO_MANY_REQUESTS",
  "CLIENT_CLOSED_REQUEST",
]);

export interface Proc {
  path: string;
  type: ProcedureType;
  keys: string[];
  /** A procedure without an input parser ignores whatever comes: any call with a session runs it. */
  noInput: boolean;
  /** Whether the server would accept this input (then a mutation could write: it is sent anonymously instead). */
  accepts: (value: unknown) => boolean;
}

export function procedures(): Proc[] {
  const record = (
    appRouter._def as unknown as {
      procedures: Record<string, { _def: { type: ProcedureType; inputs: Array<z.ZodType> } }>;
    }
  ).procedures;
  return Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, p]) => ({
      path,
      type: p._def.type,
      keys: p._def.inputs.flatMap(inputKeys),
      noInput: p._def.inputs.length === 0,
      accepts: (value) => p._def.inputs.every((schema) => schema.safeParse(value).success),
    }));
}

/** superjson `meta` that names types and paths a careless decoder would trust. */
function hostileMeta(r: Rng): unknown {
  const path = r.pick([
    "__proto__.polluted",
    "constructor.prototype.polluted",
    "a.__proto__",
    "",
    "0",
    "x.y.z",
    "json",
  ]);
  const type = r.pick<unknown>([
    "map",
    "set",
    "bigint",
    "Date",
    "regexp",
    "undefined",
    "number",
    "symbol",
    ["class", "Object"],
    ["custom", "nope"],
    ["typed-array", "Uint8Array"],
    "nope",
    42,
    null,
  ]);
  return r.pick<unknown>([
    { values: { [path]: [type] } },
    { values: [type] },
    { values: type },
    { referentialEqualities: { [path]: [path] } },
    { referentialEqualities: [[path, ["__proto__"]]] },
    { values: { [path]: [type] }, v: 99 },
    "meta",
    [],
  ]);
}

const INVALID_JSON = [
  "{",
  '{"json":',
  "nul",
  "\u0000",
  "[1,2",
  '"unterminated',
  '{"json":1}}',
  "\uFEFF{}",
  '{"json":{"a":1,"a":2}',
  "{'json': 1}",
  "NaN",
  "Infinity",
  `{"json":${"[".repeat(10_000)}`,
];

/** One request of the HTTP fuzz: where it goes, what it carries and as whom. */
export interface HttpCase {
  proc: Proc;
  kind: string;
  method: ProcedureType;
  path: string;
  wire: string | undefined;
  headers: Record<string, string>;
  cookie: string | null;
}

/** Builds the requests of the HTTP fuzz, one per call, in a fixed order for a given generator. */
export function httpCaseMaker(
  r: Rng,
  procs: readonly Proc[],
  opts: { ids: readonly string[]; cookies: { admin: string | null; student: string | null } },
) {
  const { ids, cookies } = opts;
  return function makeCase(n: number): HttpCase {
    const proc = procs[n % procs.length] as Proc;
    const get = proc.type === "query";
    const o: GenOptions = { maxString: get ? 2_000 : 400_000, ids, rich: true };
    const roll = r.next();
    let kind: string;
    let wire: string | undefined;
    let seen: unknown; // what the server's input parser will get, as far as the test can tell
    let method: ProcedureType = proc.type;
    let path = proc.path;
    const headers: Record<string, string> = {};
    if (roll < 0.62) {
      kind = "superjson";
      const value = inputFor(r, proc.keys, o);
      wire = encode(value);
      seen = safeDeserialize(JSON.parse(wire));
    } else if (roll < 0.72) {
      kind = "plain-json";
      const value = inputFor(r, proc.keys, { ...o, rich: false });
      wire = JSON.stringify(value) ?? "null";
      seen = safeDeserialize(JSON.parse(wire));
    } else if (roll < 0.8) {
      kind = "hostile-meta";
      const value = inputFor(r, proc.keys, { ...o, rich: false });
      const doc = { json: value, meta: hostileMeta(r) };
      wire = JSON.stringify(doc);
      seen = safeDeserialize(JSON.parse(wire));
    } else if (roll < 0.87) {
      kind = "invalid-json";
      wire = r.pick(INVALID_JSON);
      seen = INVALID;
    } else if (roll < 0.91) {
      kind = "wrong-method";
      method = get ? "mutation" : "query";
      wire = encode(inputFor(r, proc.keys, { ...o, maxString: 2_000 }));
      seen = INVALID;
    } else if (roll < 0.94) {
      kind = "batch";
      const other = r.pick(procs);
      // A batch may mix a query and a mutation; tRPC refuses that, and must refuse it with a code.
      path = `${proc.path},${other.path}`;
      headers["x-batch"] = "1";
      wire = stringify({
        0: wrapped(inputFor(r, proc.keys, { ...o, maxString: 500 })),
        1: r.chance(0.5) ? "x" : wrapped(inputFor(r, other.keys, { ...o, maxString: 500 })),
      });
      if (other.type === "mutation" || proc.type === "mutation") method = "mutation";
      // A batch with a mutation could carry an input it accepts: it goes out anonymously, never signed in.
      seen = method === "mutation" ? undefined : INVALID;
      if (method === "mutation") return { proc, kind, method, path, wire, headers, cookie: null };
    } else if (roll < 0.96) {
      kind = "wrong-content-type";
      headers["content-type"] = r.pick(["text/plain", "multipart/form-data; boundary=x", "application/xml", ""]);
      method = "mutation";
      wire = encode(inputFor(r, proc.keys, { ...o, maxString: 2_000 }));
      seen = safeDeserialize(JSON.parse(wire));
    } else if (roll < 0.98) {
      kind = "deep";
      // Written as text: the test's own JSON.stringify would overflow its stack on 20,000 levels.
      const n = get ? 300 : r.pick([5_000, 20_000]);
      wire = r.chance(0.5)
        ? `{"json":${"[".repeat(n)}1${"]".repeat(n)}}`
        : `{"json":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`;
      seen = INVALID;
    } else {
      kind = "oversized";
      // Queries travel in the URL (Node caps headers at 16 KiB); mutations in a body over tRPC's 2 MiB limit.
      const size = get ? 9_000 : 2 * 1024 * 1024 + r.int(64 * 1024);
      wire = JSON.stringify({ json: { [r.pick([...proc.keys, "x"])]: hugeString(r, size) } });
      if (!get) wire = JSON.stringify({ json: { x: "y".repeat(size) } });
      seen = INVALID;
    }
    // An input the procedure would accept could write: such a mutation goes out anonymously (refused first).
    const mutating = method === "mutation" || proc.type === "mutation";
    const mayWrite = mutating && (proc.noInput || (seen !== INVALID && proc.accepts(seen)));
    const cookie = mayWrite ? null : r.chance(0.8) ? cookies.admin : cookies.student;
    return { proc, kind, method, path, wire, headers, cookie };
  };
}

const INVALID = Symbol("refused before the input parser");

/**
 * superjson's document for a value, as the real client sends it. superjson refuses to encode an own "__proto__"
 * key; an attacker is not bound by that, so such a value goes out as a bare document ({ json }) instead.
 */
function wrapped(value: unknown): unknown {
  try {
    return superjson.serialize(value);
  } catch {
    return { json: value };
  }
}

function encode(value: unknown): string {
  return stringify(wrapped(value));
}

/** JSON text of a document; a bare document has no meta to carry a bigint, so it goes as a string of digits. */
function stringify(doc: unknown): string {
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
}

/** What tRPC's superjson decoder makes of a body; INVALID when it throws (the server refuses it then). */
function safeDeserialize(doc: unknown): unknown {
  try {
    return superjson.deserialize(doc as never);
  } catch {
    return INVALID;
  }
}
