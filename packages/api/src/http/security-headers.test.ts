import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { ENROLL_PATH } from "@labfleet/protocol";
import { createAuth } from "../auth.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { contentSecurityPolicy, createSecurityGuard } from "./security-headers.ts";

describe("security headers, cookies and cross-site mutations on the real server", () => {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startTestControlPlane({
      install: { agentPackDir: "/nonexistent-agent-pack", publicUrl: undefined },
    });
  });
  after(async () => {
    await cp.close();
  });

  function assertSecurityHeaders(res: Response, what: string): void {
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'unsafe-inline'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "img-src 'self' data: blob:",
    ]) {
      assert.ok(csp.includes(directive), `${what}: CSP has ${directive} (got ${csp})`);
    }
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${cp.port} wss://`), what);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
    assert.equal(res.headers.get("x-frame-options"), "DENY", what);
    assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin", what);
    assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin", what);
    assert.match(res.headers.get("permissions-policy") ?? "", /camera=\(\)/, what);
    // Plain http, and a forged X-Forwarded-Proto from a client is not believed without a trusted proxy.
    assert.equal(res.headers.get("strict-transport-security"), null, `${what}: no HSTS over http`);
  }

  test("every kind of answer carries them: API, auth, errors, enrollment, installer, model files", async () => {
    const answers: Array<[string, Response]> = [
      ["health", await fetch(`${cp.url}/api/health`, { headers: { "x-forwarded-proto": "https" } })],
      ["unknown API", await fetch(`${cp.url}/api/nope`)],
      ["auth session", await fetch(`${cp.url}/api/auth/get-session`)],
      ["tRPC query", await fetch(`${cp.url}/api/trpc/device.list`)],
      ["enrollment", await fetch(`${cp.url}${ENROLL_PATH}`, { method: "POST" })],
      ["installer", await fetch(`${cp.url}/install/linux.sh`)],
      ["model file", await fetch(`${cp.url}/api/models/files/${"a".repeat(64)}`)],
    ];
    for (const [what, res] of answers) {
      assertSecurityHeaders(res, what);
      await res.arrayBuffer();
    }
  });

  test("the Host header cannot inject into the policy", () => {
    assert.equal(contentSecurityPolicy(null).includes("ws://"), false);
    assert.match(contentSecurityPolicy("lab.example:3000"), /connect-src 'self' ws:\/\/lab\.example:3000 wss:/);
  });

  test("the session cookie is HttpOnly and SameSite=Lax, not Secure over http", async () => {
    const u = await cp.user("instructor");
    const res = await fetch(`${cp.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
      body: JSON.stringify({ email: u.email, password: u.password }),
    });
    assert.equal(res.status, 200);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("better-auth.session_token="));
    assert.ok(session, `a session cookie (got ${res.headers.getSetCookie().join(" | ")})`);
    assert.match(session, /;\s*HttpOnly/i);
    assert.match(session, /;\s*SameSite=Lax/i);
    assert.doesNotMatch(session, /;\s*Secure/i);
  });

  test("with an https public origin the session cookie is Secure (and __Secure- prefixed)", async () => {
    const u = await cp.user("instructor");
    const origin = "https://labfleet.example";
    const httpsAuth = createAuth({
      prisma: cp.db.prisma,
      secret: "integration-test-secret-0123456789abcdef",
      baseURL: origin,
    });
    const res = await httpsAuth.handler(
      new Request(`${origin}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin, "x-forwarded-for": "192.0.2.1" },
        body: JSON.stringify({ email: u.email, password: u.password }),
      }),
    );
    assert.equal(res.status, 200);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("__Secure-better-auth.session_token="));
    assert.ok(session, `a secure session cookie (got ${res.headers.getSetCookie().join(" | ")})`);
    assert.match(session, /;\s*Secure/i);
    assert.match(session, /;\s*HttpOnly/i);
    assert.match(session, /;\s*SameSite=Lax/i);
  });

  test("a tRPC mutation from another origin is refused 403 and changes nothing; the same origin works", async () => {
    const admin = await cp.user("admin");
    const cookie = await cp.cookieFor(admin);
    const create = (headers: Record<string, string>) =>
      fetch(`${cp.url}/api/trpc/enrollmentToken.create`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, ...headers },
        body: JSON.stringify({ json: { label: "csrf", expiresInHours: 1, maxUses: 1 } }),
      });
    const before = await cp.db.prisma.enrollmentToken.count();
    const refusals: Array<[string, Record<string, string>]> = [
      ["another site", { origin: "http://evil.example" }],
      ["another port on the same host", { origin: `http://127.0.0.1:${cp.port + 1}` }],
      ["https on the same host", { origin: `https://127.0.0.1:${cp.port}` }],
      ["an opaque origin", { origin: "null" }],
      ["no Origin, but a cross-site fetch", { "sec-fetch-site": "cross-site" }],
    ];
    for (const [what, headers] of refusals) {
      const res = await create(headers);
      assert.equal(res.status, 403, what);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "FORBIDDEN", what);
    }
    assert.equal(await cp.db.prisma.enrollmentToken.count(), before, "nothing was written");

    const ok = await create({ origin: cp.url, "sec-fetch-site": "same-origin" });
    assert.equal(ok.status, 200, await ok.clone().text());
    const noOrigin = await create({});
    assert.equal(noOrigin.status, 200, "a client that is not a browser sends no Origin");
    assert.equal(await cp.db.prisma.enrollmentToken.count(), before + 2);
  });
});

describe("behind a trusted reverse proxy (LABFLEET_TRUST_PROXY)", () => {
  test("HSTS when the proxy says https; the forwarded origin is the server's own for mutations", async () => {
    const guard = createSecurityGuard({ trustProxy: true });
    const server = createServer((req, res) => {
      if (guard(req, res, (req.url ?? "/").split("?")[0] ?? "/")) return;
      res.end("passed");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const proxied = { "x-forwarded-proto": "https", "x-forwarded-host": "labs.school.example" };
    try {
      const page = await fetch(`${base}/devices`, { headers: proxied });
      assert.equal(page.headers.get("strict-transport-security"), "max-age=31536000");
      assert.match(page.headers.get("content-security-policy") ?? "", /wss:\/\/labs\.school\.example/);
      const same = await fetch(`${base}/api/trpc/x.y`, {
        method: "POST",
        headers: { ...proxied, origin: "https://labs.school.example" },
      });
      assert.equal(await same.text(), "passed");
      const downgraded = await fetch(`${base}/api/trpc/x.y`, {
        method: "POST",
        headers: { ...proxied, origin: "http://labs.school.example" },
      });
      assert.equal(downgraded.status, 403);
      await downgraded.arrayBuffer();
      const plain = await fetch(`${base}/devices`);
      assert.equal(plain.headers.get("strict-transport-security"), null, "no HSTS when the proxy says nothing");
      await plain.arrayBuffer();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
