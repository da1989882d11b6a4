import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";
import { auditDetail } from "./audit.ts";

describe("audit log", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let instructor: TestUser;

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    instructor = await cp.user("instructor");
  });
  after(async () => {
    await cp.close();
  });

  test("secrets never reach the detail, at any depth; long values are cut", () => {
    const clean = auditDetail({
      name: "Room 1",
      token: "lf_tok_secret",
      nested: { password: "hunter2", deviceSecret: "s", keep: "yes", list: [{ authorization: "Bearer x", n: 1 }] },
      long: "x".repeat(1_000),
    }) as Record<string, unknown>;
    const text = JSON.stringify(clean);
    for (const secret of ["lf_tok_secret", "hunter2", "Bearer x", '"s"']) assert.ok(!text.includes(secret), secret);
    assert.equal((clean.nested as { keep: string }).keep, "yes");
    assert.ok((clean.long as string).length < 400);
  });

  test("an instructor's actions are recorded with who, what and when; a failed action is not", async () => {
    const api = cp.caller(instructor);
    const lab = await api.lab.create({ name: "Room 2", rows: 1, cols: 1 });
    const token = await api.enrollmentToken.create({ label: "Room 2", maxUses: 3, expiresInHours: 2, labId: lab.id });
    await api.enrollmentToken.revoke({ id: token.id });
    await assert.rejects(api.enrollmentToken.revoke({ id: "no-such-token" }));
    const rows = await cp.caller(admin).audit.list({ action: "enrollmentToken." });
    assert.deepEqual(
      rows.map((r) => [r.action, r.targetId, r.actorId, r.actorRole]),
      [
        ["enrollmentToken.revoke", token.id, instructor.id, "instructor"],
        ["enrollmentToken.create", token.id, instructor.id, "instructor"],
      ],
    );
    // The token itself is a secret: it is in the create's output, never in the log.
    assert.ok(!JSON.stringify(rows).includes(token.token));
  });

  test("only admins read it", async () => {
    for (const who of [instructor, await cp.user("student")]) {
      await rejectsWith(cp.caller(who).audit.list({}), "FORBIDDEN");
    }
    await rejectsWith(cp.caller(null).audit.list({}), "UNAUTHORIZED");
  });
});
