import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";

/** Asserts that `p` rejects with a TRPCError of this code and, if given, a message that matches. */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TRPCError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}
