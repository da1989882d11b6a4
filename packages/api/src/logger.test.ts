import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "./logger.ts";

test("a logged request, body, device and error print none of their secrets", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
  const secrets = {
    bearer: "Bearer dev-secret-AAAA1111",
    cookie: "better-auth.session_token=sess-BBBB2222",
    setCookie: "better-auth.session_token=sess-CCCC3333; HttpOnly",
    password: "hunter2-DDDD4444",
    token: "lfe_enroll-EEEE5555",
    deviceSecret: "lfd_FFFF6666",
    apiKey: "key-GGGG7777",
    newPassword: "new-HHHH8888",
  };
  log.info(
    {
      req: {
        method: "POST",
        url: "/api/auth/sign-in/email",
        headers: { authorization: secrets.bearer, cookie: secrets.cookie, "user-agent": "kept-agent" },
      },
      res: { statusCode: 200, headers: { "set-cookie": [secrets.setCookie] } },
      body: { email: "ann@example.test", password: secrets.password },
    },
    "request",
  );
  log.warn({ token: secrets.token, deviceId: "dev-1" }, "enrollment refused");
  log.info({ device: { id: "dev-1", deviceSecret: secrets.deviceSecret } }, "device enrolled");
  log.error({ headers: { "x-api-key": secrets.apiKey }, input: { user: { newPassword: secrets.newPassword } } }, "x");
  log.debug({ credentials: { secret: secrets.deviceSecret, token: secrets.token } }, "nested");

  const out = lines.join("");
  assert.equal(lines.length, 5);
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(!out.includes(value), `${name} must not be printed`);
  }
  // Redaction keeps the shape: what was there is still visible as redacted, and the rest is untouched.
  const first = JSON.parse(lines[0] as string);
  assert.equal(first.req.headers.authorization, "[redacted]");
  assert.equal(first.req.headers.cookie, "[redacted]");
  assert.equal(first.req.headers["user-agent"], "kept-agent");
  assert.equal(first.body.email, "ann@example.test");
  assert.equal(JSON.parse(lines[1] as string).deviceId, "dev-1");
});
