import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENROLL_PATH, type EnrollRequest, enrollRequestSchema, PROTOCOL_VERSION } from "@labfleet/protocol";
import { AgentError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { closedPort, type StubAnswer, startHttpStub } from "../testing/http-stub.ts";
import { requestEnrollment } from "./enroll-client.ts";

const REQUEST: EnrollRequest = {
  token: "lfe_token_12345678",
  hostname: "pc-07",
  protocolVersion: PROTOCOL_VERSION,
  agentVersion: "0.1.0",
};
const SECRET = "lfd_0123456789abcdef0123456789abcdef";

async function enrollAgainst(answer: StubAnswer) {
  const stub = await startHttpStub(answer);
  try {
    return { result: await requestEnrollment(stub.url, REQUEST, { timeoutMs: 5_000 }), requests: stub.requests };
  } finally {
    await stub.close();
  }
}

async function failure(answer: StubAnswer): Promise<AgentError> {
  try {
    await enrollAgainst(answer);
  } catch (e) {
    assert.ok(e instanceof AgentError, String(e));
    return e;
  }
  assert.fail("expected the enrollment to fail");
}

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

describe("requestEnrollment", () => {
  test("success: POSTs a valid EnrollRequest to ENROLL_PATH and returns the parsed answer", async () => {
    const { result, requests } = await enrollAgainst({
      status: 200,
      body: JSON.stringify({ deviceId: "dev_1", deviceSecret: SECRET, name: "pc-07" }),
    });
    assert.deepEqual(result, { deviceId: "dev_1", deviceSecret: SECRET, name: "pc-07" });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.method, "POST");
    assert.equal(requests[0]?.path, ENROLL_PATH);
    assert.deepEqual(enrollRequestSchema.parse(requests[0]?.body), REQUEST);
  });

  for (const [code, words] of [
    ["TOKEN_UNKNOWN", "unknown"],
    ["TOKEN_EXPIRED", "expired"],
    ["TOKEN_REVOKED", "revoked"],
    ["TOKEN_USED_UP", "used up"],
  ] as const) {
    test(`${code}: exit 3 and the message says the token is ${words}`, async () => {
      const e = await failure({ status: 403, body: errorBody(code, "Create a new one in the dashboard.") });
      assert.equal(e.exitCode, EXIT.ENROLL_REFUSED);
      assert.equal(e.code, code);
      assert.match(e.message, new RegExp(words));
      assert.match(e.message, /Create a new one in the dashboard\./);
    });
  }

  test("PROTOCOL_MISMATCH: exit 6", async () => {
    const e = await failure({
      status: 400,
      body: errorBody("PROTOCOL_MISMATCH", "This server speaks protocol version 2."),
    });
    assert.equal(e.exitCode, EXIT.PROTOCOL_MISMATCH);
  });

  test("another coded refusal (rate limited): exit 4 with the server's code", async () => {
    const e = await failure({ status: 429, body: errorBody("RATE_LIMITED", "Slow down.") });
    assert.equal(e.exitCode, EXIT.SERVER_UNREACHABLE);
    assert.match(e.message, /RATE_LIMITED/);
  });

  const garbage: Array<[string, StubAnswer]> = [
    ["an HTML error page", { status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } }],
    ["200 with the wrong JSON", { status: 200, body: JSON.stringify({ ok: true }) }],
    [
      "200 with a too-short secret",
      { status: 200, body: JSON.stringify({ deviceId: "d", deviceSecret: "short", name: "x" }) },
    ],
    ["an error with an unknown code", { status: 403, body: errorBody("NOPE", "?") }],
    ["an empty body", { status: 500, body: "" }],
  ];
  for (const [what, answer] of garbage) {
    test(`garbage (${what}): exit 4, BAD_ANSWER`, async () => {
      const e = await failure(answer);
      assert.equal(e.exitCode, EXIT.SERVER_UNREACHABLE);
      assert.equal(e.code, "BAD_ANSWER");
    });
  }

  test("a redirect is reported, not followed", async () => {
    const e = await failure({
      status: 301,
      body: "",
      headers: { location: "https://labfleet.example/api/agent/enroll" },
    });
    assert.equal(e.exitCode, EXIT.SERVER_UNREACHABLE);
    assert.match(e.message, /https:\/\/labfleet\.example/);
  });

  test("nothing listening: exit 4, connection refused", async () => {
    const port = await closedPort();
    await assert.rejects(
      requestEnrollment(`http://127.0.0.1:${port}`, REQUEST, { timeoutMs: 5_000 }),
      (e: unknown) =>
        e instanceof AgentError && e.exitCode === EXIT.SERVER_UNREACHABLE && /connection refused/.test(e.message),
    );
  });
});
