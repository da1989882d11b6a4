// PostgreSQL text cannot hold a NUL character, and the database driver cannot encode a lone UTF-16 surrogate (half an
// emoji, cut by a byte limit): either one in a query fails inside the database layer as an internal error. Inputs
// are checked for them at the edge (tRPC and socket events) and refused as a bad request instead.
import { AppError } from "../errors.ts";

/** Half of a surrogate pair without its other half: text that no UTF-8 encoder can write. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function storable(text: string): boolean {
  return !text.includes("\u0000") && !LONE_SURROGATE.test(text);
}

interface Visit {
  v: unknown;
  key: string;
  parent: Visit | null;
}

/** "samples.3.label": the path of a visit, shown up to five levels up (inputs may nest thousands deep). */
function pathOf(visit: Visit | null): string {
  const keys: string[] = [];
  for (let at = visit; at?.parent && keys.length < 5; at = at.parent) keys.unshift(at.key);
  return keys.length > 0 ? keys.join(".") : "input";
}

/** Where the first string in `value` that the database cannot store sits ("name", "samples.3.label"), or null. */
export function findUnstorableText(value: unknown): string | null {
  // An explicit stack, and paths built only for the answer: inputs may be nested thousands of levels deep.
  const stack: Visit[] = [{ v: value, key: "", parent: null }];
  // superjson can decode a document into a cyclic object (its referential equalities): each object once.
  const seen = new WeakSet<object>();
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { v } = visit;
    if (typeof v === "string") {
      if (!storable(v)) return pathOf(visit);
    } else if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && !seen.has(v)) {
      seen.add(v);
      for (const [key, child] of Object.entries(v)) {
        // A key that cannot be stored is not echoed back: the object holding it is named instead.
        if (!storable(key)) return pathOf(visit);
        stack.push({ v: child, key, parent: visit });
      }
    }
  }
  return null;
}

/** Throws BAD_REQUEST when the input holds text the database cannot store. */
export function assertStorableText(value: unknown): void {
  const at = findUnstorableText(value);
  if (at !== null) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid ${at.slice(0, 200)}: text may not contain NUL characters or broken Unicode (half of an emoji).`,
    );
  }
}
