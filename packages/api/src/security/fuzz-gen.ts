// A seeded generator of hostile inputs for the fuzz test: the same seed gives the same inputs, so a failure can be
// replayed by running the test with LABFLEET_FUZZ_SEED set to the seed it printed.

/** mulberry32: small, fast, and good enough to pick among cases. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof rng>;

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF\uD800",
  "\u202Eevil",
  "😀".repeat(20),
  "Zoë O'Brien-Smith",
  "' OR 1=1 --",
  '\'; DROP TABLE "user"; --',
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "<script>alert(1)</script>",
  '=HYPERLINK("http://evil.invalid")',
  "$" + "{process.env}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "true",
  "[]",
  "{}",
  "A1",
  "Z99",
  "cpu",
  "benchmark",
  "admin",
  "http://127.0.0.1:9/x",
  "javascript:alert(1)",
  "file:///etc/passwd",
];

const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  -0.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 1,
  -(2 ** 53) - 1,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Keys that a careless merge would write onto Object.prototype. */
export const POLLUTION_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "__defineGetter__",
  "hasOwnProperty",
  "toString",
];

export interface GenOptions {
  /** The longest string to produce (GET inputs travel in the URL, which Node caps at 16 KiB of headers). */
  maxString: number;
  /** Real ids of the school, so that some inputs reach past the id checks into the services. */
  ids: readonly string[];
  /** Values that the wire (JSON vs superjson) can carry: NaN, Infinity, bigint and Date only with superjson. */
  rich: boolean;
}

export function hugeString(r: Rng, max: number): string {
  const n = Math.min(max, r.pick([65, 81, 121, 257, 301, 501, 2_001, 5_000, 20_001, 100_001, 1_048_577]));
  const unit = r.pick(["x", "é", "😀", "\u0000", "a-b_", " "]);
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

/** Nested arrays or objects `depth` levels deep, built without recursion. */
export function deep(depth: number, asArray: boolean): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

/** A hostile value of any kind; `depth` bounds the recursion of the random structures. */
export function anyValue(r: Rng, o: GenOptions, depth = 0): unknown {
  const k = r.int(depth > 2 ? 7 : 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2: {
      const n = r.pick(NASTY_NUMBERS);
      // Plain JSON has no NaN or Infinity: JSON.stringify writes null, which is another case here anyway.
      if (!o.rich && !Number.isFinite(n)) return r.int(1000) - 500;
      return n;
    }
    case 3:
      return r.pick(NASTY_STRINGS);
    case 4:
      return hugeString(r, o.maxString);
    case 5:
      return o.ids.length > 0 ? r.pick(o.ids) : "id";
    case 6:
      if (!o.rich) return r.int(2) === 0 ? "2026-13-45T99:99:99Z" : -1;
      return r.pick([new Date(Number.NaN), new Date(8.64e15), new Date(0), BigInt("123456789012345678901234567890")]);
    case 7:
      return Array.from({ length: r.int(4) }, () => anyValue(r, o, depth + 1));
    case 8:
      // URL-borne inputs stay small enough for Node's 16 KiB header cap.
      return deep(r.pick(o.maxString > 10_000 ? [50, 500, 2_000] : [20, 100]), r.chance(0.5));
    case 9:
      return pollution(r, o, depth);
    case 10: {
      const out: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--)
        setOwn(out, r.pick(["id", "x", "", "a.b", "0", r.pick(NASTY_STRINGS)]), anyValue(r, o, depth + 1));
      return out;
    }
    default:
      return Array.from({ length: r.pick([100, 1_000, 5_000]) }, (_, i) => (r.chance(0.5) ? i : `item${i}`));
  }
}

/** An object whose own keys would pollute a prototype if merged carelessly (JSON.parse keeps "__proto__" as a key). */
function pollution(r: Rng, o: GenOptions, depth: number): Record<string, unknown> {
  const key = r.pick(POLLUTION_KEYS);
  const inner = r.chance(0.5) ? { polluted: "yes", isAdmin: true, role: "admin" } : anyValue(r, o, depth + 1);
  return setOwn({}, key, key === "constructor" ? { prototype: inner } : inner);
}

/** Sets an own, enumerable key, "__proto__" included (plain assignment would set the prototype instead). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

/** The top-level keys of a zod input (through default/optional/pipe wrappers), or [] when it is not an object. */
export function inputKeys(schema: unknown): string[] {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown> } };
  for (let i = 0; i < 10 && s?.def; i++) {
    const d = s.def;
    if (d.type === "object" && d.shape) return Object.keys(d.shape);
    const inner = d.innerType ?? d.in;
    if (!inner) break;
    s = inner as typeof s;
  }
  return [];
}

/**
 * An input for a procedure or event: most often an object with its own keys (some missing, some wrong, some extra,
 * some real ids), otherwise any hostile value at the top (arrays for objects, strings, numbers, null).
 */
export function inputFor(r: Rng, keys: readonly string[], o: GenOptions): unknown {
  if (keys.length === 0 || r.chance(0.3)) return anyValue(r, o);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (r.chance(0.2)) continue;
    out[key] = /id$/i.test(key) && r.chance(0.4) && o.ids.length > 0 ? r.pick(o.ids) : anyValue(r, o, 1);
  }
  if (r.chance(0.3)) setOwn(out, r.pick(["extra", "role", "userId", "isAdmin", ...POLLUTION_KEYS]), anyValue(r, o, 1));
  if (r.chance(0.15)) return pollution(r, o, 1);
  return out;
}
