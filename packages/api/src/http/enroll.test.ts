import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ENROLL_PATH, PROTOCOL_VERSION } from "@labfleet/protocol";
import { sha256Hex } from "../crypto.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { sharedRateLimits } from "./rate-limit.ts";

describe("POST /api/agent/enroll", () => {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startTestControlPlane();
  });
  after(async () => {
    await cp.close();
  });

  const enroll = (body: unknown, raw?: string) =>
    fetch(`${cp.url}${ENROLL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: raw ?? JSON.stringify(body),
    });
  const request = (token: string, extra: Record<string, unknown> = {}) => ({
    token,
    hostname: "lab-pc-01",
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: "0.1.0",
    ...extra,
  });
  const newToken = (maxUses = 1) =>
    createEnrollmentToken(cp.db, { label: "t", expiresInHours: 1, maxUses }, null).then((t) => t.token);

  async function expectRefused(res: Response, status: number, code: string): Promise<string> {
    assert.equal(res.status, status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code);
    assert.ok(!/at .*\.ts:\d+/.test(body.error.message), "no stack in the message");
    return body.error.message;
  }

  test("a valid token gives a device identity; the server keeps only the secret's hash", async () => {
    const res = await enroll(request(await newToken()));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { deviceId: string; deviceSecret: string; name: string };
    assert.equal(body.name, "lab-pc-01");
    const device = await cp.db.prisma.device.findUniqueOrThrow({
      where: { id: body.deviceId },
      include: { credentials: true },
    });
    assert.equal(device.credentials.length, 1);
    assert.equal(device.credentials[0]?.secretHash, sha256Hex(body.deviceSecret));
  });

  test("unknown, expired, revoked and used-up tokens are refused with their own code; nothing is created", async () => {
    const devicesBefore = await cp.db.prisma.device.count();
    await expectRefused(await enroll(request("lfe_not-a-real-token")), 403, "TOKEN_UNKNOWN");

    const expired = await createEnrollmentToken(cp.db, { label: "e", expiresInHours: 1, maxUses: 5 }, null);
    await cp.db.prisma.enrollmentToken.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expectRefused(await enroll(request(expired.token)), 403, "TOKEN_EXPIRED");

    const revoked = await createEnrollmentToken(cp.db, { label: "r", expiresInHours: 1, maxUses: 5 }, null);
    await cp.db.prisma.enrollmentToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    await expectRefused(await enroll(request(revoked.token)), 403, "TOKEN_REVOKED");

    const used = await newToken(1);
    assert.equal((await enroll(request(used))).status, 200);
    const afterFirst = await cp.db.prisma.device.count();
    await expectRefused(await enroll(request(used)), 403, "TOKEN_USED_UP");

    assert.equal(await cp.db.prisma.device.count(), afterFirst);
    assert.equal(afterFirst, devicesBefore + 1);
  });

  test("two agents racing for the last use of a token: exactly one wins", async () => {
    const token = await newToken(1);
    const results = await Promise.all([1, 2, 3, 4].map((i) => enroll(request(token, { hostname: `race-${i}` }))));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 403, 403, 403]);
  });

  test("malformed bodies and a foreign protocol version get coded errors", async () => {
    const before = await cp.db.prisma.device.count();
    await expectRefused(await enroll(null, "{not json"), 400, "BAD_REQUEST");
    await expectRefused(await enroll({ token: 42 }), 400, "BAD_REQUEST");
    await expectRefused(await enroll(request("x".repeat(20), { hostname: "" })), 400, "BAD_REQUEST");
    await expectRefused(await enroll(null, JSON.stringify({ pad: "x".repeat(20_000) })), 413, "PAYLOAD_TOO_LARGE");
    const message = await expectRefused(
      await enroll(request(await newToken(), { protocolVersion: PROTOCOL_VERSION + 7 })),
      400,
      "PROTOCOL_MISMATCH",
    );
    assert.match(message, new RegExp(`${PROTOCOL_VERSION}\\b`));
    assert.match(message, new RegExp(`${PROTOCOL_VERSION + 7}\\b`));
    assert.equal(await cp.db.prisma.device.count(), before);
  });

  // The harness's control plane counts in the process's shared limits; these tests start and end with clean
  // counters for the loopback address so that the other tests' refusals do not matter.
  const clearIp = () => sharedRateLimits().reset("enrollIp", "127.0.0.1");

  test("refusals from one address are limited (successes never count); the answer says when to retry", async () => {
    await clearIp();
    const many = await newToken(40);
    for (let i = 0; i < 40; i++) {
      assert.equal((await enroll(request(many, { hostname: `ok-${i}` }))).status, 200, `enrollment ${i + 1}`);
    }
    for (let i = 0; i < 30; i++) await expectRefused(await enroll(request(`lfe_guess-${i}`)), 403, "TOKEN_UNKNOWN");
    const devices = await cp.db.prisma.device.count();
    const res = await enroll(request(await newToken()));
    const message = await expectRefused(res, 429, "RATE_LIMITED");
    assert.equal(message, "Too many refused enrollments. Try again in 15 minutes.");
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    assert.equal(await cp.db.prisma.device.count(), devices, "a valid token waits too while the address is limited");
    await clearIp();
  });

  test("a refused token is limited from any address, while other tokens still work", async () => {
    await clearIp();
    const revoked = await createEnrollmentToken(cp.db, { label: "r", expiresInHours: 1, maxUses: 5 }, null);
    await cp.db.prisma.enrollmentToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    for (let i = 0; i < 20; i++) await expectRefused(await enroll(request(revoked.token)), 403, "TOKEN_REVOKED");
    await clearIp();
    await expectRefused(await enroll(request(revoked.token)), 429, "RATE_LIMITED");
    assert.equal((await enroll(request(await newToken()))).status, 200);
    await clearIp();
  });
});
