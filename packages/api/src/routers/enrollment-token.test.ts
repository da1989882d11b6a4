import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";

describe("enrollmentToken router", () => {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startTestControlPlane();
  });
  after(async () => {
    await cp.close();
  });

  test("anonymous callers and students are refused", async () => {
    await rejectsWith(cp.caller(null).enrollmentToken.list(), "UNAUTHORIZED");
    const student = await cp.user("student");
    await rejectsWith(cp.caller(student).enrollmentToken.list(), "FORBIDDEN");
    await rejectsWith(
      cp.caller(student).enrollmentToken.create({ label: "x", expiresInHours: 1, maxUses: 1 }),
      "FORBIDDEN",
    );
  });

  test("an instructor creates, lists and revokes a token; only its hash is stored", async () => {
    const instructor = await cp.user("instructor");
    const api = cp.caller(instructor);
    const lab = await api.lab.create({ name: "Room 101", rows: 1, cols: 1 });
    const created = await api.enrollmentToken.create({
      label: "Room 101",
      expiresInHours: 24,
      maxUses: 30,
      labId: lab.id,
    });
    assert.match(created.token, /^lfe_[A-Za-z0-9_-]{43}$/);
    const hoursAhead = (created.expiresAt.getTime() - Date.now()) / 3_600_000;
    assert.ok(hoursAhead > 23.9 && hoursAhead <= 24, `expires in ${hoursAhead} h`);

    const row = await cp.db.prisma.enrollmentToken.findUniqueOrThrow({ where: { id: created.id } });
    assert.notEqual(row.tokenHash, created.token);
    assert.ok(!JSON.stringify(row).includes(created.token), "the plain token is not stored");

    const listed = (await api.enrollmentToken.list()).find((t) => t.id === created.id);
    assert.ok(listed);
    assert.equal(listed.status, "active");
    assert.equal(listed.uses, 0);
    assert.equal(listed.maxUses, 30);
    assert.equal(listed.tokenPrefix, created.token.slice(0, 10));
    assert.ok(!("tokenHash" in listed), "the hash does not leave the server");

    await api.enrollmentToken.revoke({ id: created.id });
    const after = (await api.enrollmentToken.list()).find((t) => t.id === created.id);
    assert.equal(after?.status, "revoked");
  });

  test("bad input is refused with BAD_REQUEST and writes nothing", async () => {
    const admin = await cp.user("admin");
    const api = cp.caller(admin);
    const before = await cp.db.prisma.enrollmentToken.count();
    await rejectsWith(api.enrollmentToken.create({ label: "  ", expiresInHours: 1, maxUses: 1 }), "BAD_REQUEST");
    await rejectsWith(api.enrollmentToken.create({ label: "a", expiresInHours: 0, maxUses: 1 }), "BAD_REQUEST");
    await rejectsWith(api.enrollmentToken.create({ label: "a", expiresInHours: 1, maxUses: 5000 }), "BAD_REQUEST");
    await rejectsWith(api.enrollmentToken.revoke({ id: "no-such-token" }), "NOT_FOUND");
    assert.equal(await cp.db.prisma.enrollmentToken.count(), before);
  });
});
