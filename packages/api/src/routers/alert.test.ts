import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { appRouter } from "./root.ts";

const STAFF = ["alert.", "alertRule."];
const ADMIN = ["webhook.", "settings."];

/** Every procedure of these routers, found from the router itself so that a new one cannot be forgotten. */
const procedures = Object.keys(appRouter._def.procedures).filter((p) =>
  [...STAFF, ...ADMIN].some((prefix) => p.startsWith(prefix)),
);

function call(caller: unknown, path: string): Promise<unknown> {
  const [ns, name] = path.split(".") as [string, string];
  const fn = (caller as Record<string, Record<string, (input?: unknown) => Promise<unknown>>>)[ns]?.[name];
  if (!fn) throw new Error(`no procedure ${path}`);
  return fn({});
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    return (e as { code?: string }).code ?? "THROWN";
  }
}

describe("alerts, rules, webhooks, settings: who may call what", () => {
  let cp: TestControlPlane;
  let student: TestUser;
  let instructor: TestUser;

  before(async () => {
    cp = await startTestControlPlane();
    student = await cp.user("student");
    instructor = await cp.user("instructor");
  });
  after(async () => cp.close());

  test("the routers are all there", () => {
    for (const p of [
      "alert.list",
      "alert.acknowledge",
      "alertRule.update",
      "webhook.create",
      "settings.rotateMetricsToken",
    ])
      assert.ok(procedures.includes(p), p);
  });

  test("anonymous callers are refused everywhere", async () => {
    for (const p of procedures) assert.equal(await codeOf(call(cp.caller(null), p)), "UNAUTHORIZED", p);
  });

  test("students are refused everywhere", async () => {
    for (const p of procedures) assert.equal(await codeOf(call(cp.caller(student), p)), "FORBIDDEN", p);
  });

  test("instructors reach alerts and rules, not webhooks or settings", async () => {
    for (const p of procedures) {
      const code = await codeOf(call(cp.caller(instructor), p));
      if (ADMIN.some((prefix) => p.startsWith(prefix))) assert.equal(code, "FORBIDDEN", p);
      // Past authorization: the empty input is then refused or served, never forbidden.
      else assert.notEqual(code, "FORBIDDEN", p);
    }
  });
});
