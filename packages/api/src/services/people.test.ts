import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";

describe("people: accounts managed by admins", () => {
  let cp: TestControlPlane;
  let admin: TestUser;

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
  });
  after(async () => {
    await cp.close();
  });

  async function signInByUsername(username: string, password: string): Promise<number> {
    const res = await fetch(`${cp.url}/api/auth/sign-in/username`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
      body: JSON.stringify({ username, password }),
    });
    return res.status;
  }

  test("an admin creates an instructor who signs in with the password shown once; a reset replaces it", async () => {
    const api = cp.caller(admin);
    const made = await api.user.create({ name: "Grace Hopper", username: "GHopper", role: "instructor" });
    assert.equal(made.person.username, "ghopper");
    assert.equal(made.person.email, null, "no e-mail: the placeholder is never shown");
    assert.equal(made.person.role, "instructor");
    assert.equal(await signInByUsername("ghopper", made.password), 200);
    const again = await api.user.resetPassword({ userId: made.person.id });
    assert.notEqual(again.password, made.password);
    assert.equal(await signInByUsername("ghopper", made.password), 401);
    assert.equal(await signInByUsername("ghopper", again.password), 200);
    await rejectsWith(api.user.create({ name: "Other", username: "ghopper", role: "student" }), "CONFLICT");
    await rejectsWith(api.user.create({ name: "", username: "x y", role: "student" }), "BAD_REQUEST");
    const audit = await api.audit.list({ action: "user." });
    assert.deepEqual(audit.map((a) => a.action).sort(), ["user.create", "user.resetPassword"]);
    assert.ok(!JSON.stringify(audit).includes(made.password));
    assert.ok(!JSON.stringify(audit).includes(again.password));
  });

  test("roles change, but the last admin stays an admin", async () => {
    const api = cp.caller(admin);
    const people = await api.user.list({ role: "admin" });
    assert.equal(people.length, 1);
    await rejectsWith(api.user.setRole({ userId: admin.id, role: "instructor" }), "CONFLICT");
    const other = await api.user.create({ name: "Second Admin", username: "admin2", role: "student" });
    const promoted = await api.user.setRole({ userId: other.person.id, role: "admin" });
    assert.equal(promoted.role, "admin");
    const demoted = await api.user.setRole({ userId: admin.id, role: "instructor" });
    assert.equal(demoted.role, "instructor");
  });

  test("only admins manage accounts", async () => {
    for (const who of [await cp.user("instructor"), await cp.user("student")]) {
      const api = cp.caller(who);
      await rejectsWith(api.user.list({}), "FORBIDDEN");
      await rejectsWith(api.user.create({ name: "X", username: "xxx", role: "admin" }), "FORBIDDEN");
      await rejectsWith(api.user.setRole({ userId: who.id, role: "admin" }), "FORBIDDEN");
      await rejectsWith(api.user.resetPassword({ userId: who.id }), "FORBIDDEN");
    }
  });
});
