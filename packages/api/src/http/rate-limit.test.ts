import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { clientIp, RateLimits, redisStore, sharedRateLimits, waitText } from "./rate-limit.ts";

interface RedisClient {
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
type CreateClient = (options: object) => RedisClient;

/** node-redis, when installed: imported by a computed name so that the package stays optional. */
async function loadRedis(): Promise<CreateClient | null> {
  const name = "redis";
  try {
    return ((await import(name)) as { createClient: CreateClient }).createClient;
  } catch {
    return null;
  }
}

describe("RateLimits (memory store)", () => {
  test("failures block only once the limit is used up; a reset forgets them", async () => {
    const limits = new RateLimits({ rules: { signInAccountIp: { points: 3, durationSec: 60 } } });
    for (let i = 0; i < 3; i++) {
      assert.equal(await limits.blockedFor("signInAccountIp", "ann|1.2.3.4"), null, `before failure ${i + 1}`);
      await limits.fail("signInAccountIp", "ann|1.2.3.4");
    }
    const wait = await limits.blockedFor("signInAccountIp", "ann|1.2.3.4");
    assert.ok(wait !== null && wait > 0 && wait <= 60, `blocked for ${wait} s`);
    assert.equal(await limits.blockedFor("signInAccountIp", "bob|1.2.3.4"), null, "another key is not affected");
    await limits.reset("signInAccountIp", "ann|1.2.3.4");
    assert.equal(await limits.blockedFor("signInAccountIp", "ann|1.2.3.4"), null);
  });

  test("hit counts every request and answers the wait once over the limit", async () => {
    const limits = new RateLimits({ rules: { upload: { points: 2, durationSec: 3600 } } });
    assert.equal(await limits.hit("upload", "u1"), null);
    assert.equal(await limits.hit("upload", "u1"), null);
    const wait = await limits.hit("upload", "u1");
    assert.ok(wait !== null && wait > 3500 && wait <= 3600, `wait ${wait}`);
    assert.equal(await limits.hit("upload", "u2"), null);
  });

  test("waits are written in whole minutes, rounded up", () => {
    assert.equal(waitText(1), "1 minute");
    assert.equal(waitText(61), "2 minutes");
    assert.equal(waitText(900), "15 minutes");
  });

  test("the client address is the socket's unless a proxy is trusted, and then only a real IP", async () => {
    const seen: Array<{ plain: string; trusted: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      seen.push({ plain: clientIp(req, false), trusted: clientIp(req, true) });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      for (const xff of ["203.0.113.7, 10.0.0.1", "not-an-ip", ""]) {
        await fetch(`http://127.0.0.1:${port}/`, { headers: xff ? { "x-forwarded-for": xff } : {} });
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.deepEqual(seen, [
      { plain: "127.0.0.1", trusted: "203.0.113.7" },
      { plain: "127.0.0.1", trusted: "127.0.0.1" },
      { plain: "127.0.0.1", trusted: "127.0.0.1" },
    ]);
  });
});

describe("RateLimits on Redis (scale-out)", () => {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

  test("two processes' limits count together in Redis", async (t) => {
    const createClient = await loadRedis();
    if (!createClient) return t.skip("skipped: the redis client package is not installed");
    const clients = [0, 1].map(() => createClient({ url: redisUrl, disableOfflineQueue: true }));
    for (const c of clients) c.on("error", () => {});
    try {
      await Promise.all(clients.map((c) => c.connect()));
    } catch {
      return t.skip(`skipped: no Redis at ${redisUrl}`);
    }
    try {
      const rules = { signInAccountIp: { points: 4, durationSec: 60 } };
      const [a, b] = clients.map((c) => new RateLimits({ store: redisStore(c), rules })) as [RateLimits, RateLimits];
      const key = `ann|${process.pid}-${Date.now()}`;
      await a.fail("signInAccountIp", key);
      await b.fail("signInAccountIp", key);
      await a.fail("signInAccountIp", key);
      assert.equal(await b.blockedFor("signInAccountIp", key), null, "3 of 4");
      await b.fail("signInAccountIp", key);
      assert.ok((await a.blockedFor("signInAccountIp", key)) !== null, "the other process sees the 4th failure");
      await a.reset("signInAccountIp", key);
      assert.equal(await b.blockedFor("signInAccountIp", key), null);
    } finally {
      await Promise.all(clients.map((c) => c.quit().catch(() => {})));
    }
  });

  test("with Redis unreachable each process falls back to its own memory counters", async (t) => {
    const createClient = await loadRedis();
    if (!createClient) return t.skip("skipped: the redis client package is not installed");
    // Never connected (as while Redis is down): every call fails at once and the insurance limiter answers.
    const client = createClient({ url: "redis://127.0.0.1:1", disableOfflineQueue: true });
    const limits = new RateLimits({ store: redisStore(client), rules: { upload: { points: 2, durationSec: 60 } } });
    assert.equal(await limits.hit("upload", "u1"), null);
    assert.equal(await limits.hit("upload", "u1"), null);
    assert.ok((await limits.hit("upload", "u1")) !== null, "still limited without Redis");
  });
});

describe("sign-in limits through the real auth endpoint", () => {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startTestControlPlane();
  });
  after(async () => {
    await cp.close();
  });

  // The harness's control plane uses the process's shared limits; each test starts from clean counters for the
  // loopback address so that one test's failures do not lock the next one out.
  const clearIp = () => sharedRateLimits().reset("signInIp", "127.0.0.1");

  const signIn = (email: string, password: string, forwardedFor?: string) =>
    fetch(`${cp.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "http://127.0.0.1",
        ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
      },
      body: JSON.stringify({ email, password }),
    });

  async function answer(res: Response) {
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text() };
  }

  test("after 5 failures a known and an unknown account get the same 429, which says nothing else", async () => {
    await clearIp();
    const known = await cp.user("instructor");
    const unknown = "nobody-here@example.test";
    for (let i = 0; i < 5; i++) {
      const k = await answer(await signIn(known.email, "wrong-password"));
      const u = await answer(await signIn(unknown, "wrong-password"));
      assert.equal(k.status, 401);
      assert.deepEqual(u, k, "a wrong password and an unknown account are answered alike");
    }
    const a = await answer(await signIn(known.email, "wrong-password"));
    const b = await answer(await signIn(unknown, "wrong-password"));
    assert.equal(a.status, 429);
    assert.deepEqual(JSON.parse(a.body), {
      code: "RATE_LIMITED",
      message: "Too many sign-in attempts. Try again in 15 minutes.",
    });
    assert.ok(Number(a.retryAfter) > 800 && Number(a.retryAfter) <= 900, `Retry-After ${a.retryAfter}`);
    // Each account's window starts at its own first failure, so Retry-After may differ by the second between them.
    assert.deepEqual(
      { status: b.status, body: b.body },
      { status: a.status, body: a.body },
      "identical status and body for an account that does not exist",
    );
    assert.ok(Number(b.retryAfter) > 800 && Number(b.retryAfter) <= 900, `Retry-After ${b.retryAfter}`);

    // Locked means locked: the right password waits too, and no session is created.
    const right = await signIn(known.email, known.password);
    assert.equal(right.status, 429);
    assert.deepEqual(right.headers.getSetCookie(), []);
  });

  test("successes never count, and a success clears the account's failures", async () => {
    await clearIp();
    const u = await cp.user("student");
    for (let i = 0; i < 30; i++) assert.equal((await signIn(u.email, u.password)).status, 200, `sign-in ${i + 1}`);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) assert.equal((await signIn(u.email, "wrong-password")).status, 401);
      assert.equal((await signIn(u.email, u.password)).status, 200, `round ${round}: 4 failures then a success`);
    }
  });

  test("20 failures from one address block it for every account, whatever X-Forwarded-For claims", async () => {
    await clearIp();
    for (let i = 0; i < 20; i++) {
      // A client cannot pick a fresh address per guess: the server takes it from the socket.
      const res = await signIn(`guess-${i}@example.test`, "wrong-password", `198.51.100.${i}`);
      assert.equal(res.status, 401, `guess ${i + 1}`);
    }
    const other = await cp.user("admin");
    const res = await signIn(other.email, other.password, "198.51.100.200");
    assert.equal(res.status, 429);
    assert.equal(((await res.json()) as { code: string }).code, "RATE_LIMITED");
    await clearIp();
    assert.equal((await signIn(other.email, other.password)).status, 200, "the address is free again after reset");
  });

  test("sign-in by username is limited the same way, ignoring case", async () => {
    await clearIp();
    const byUsername = (username: string, password: string) =>
      fetch(`${cp.url}/api/auth/sign-in/username`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
        body: JSON.stringify({ username, password }),
      });
    for (let i = 0; i < 5; i++) {
      assert.equal((await byUsername(i % 2 ? "Ghost.Student" : "ghost.student", "wrong-password")).status, 401);
    }
    const res = await byUsername("GHOST.STUDENT", "wrong-password");
    assert.equal(res.status, 429);
    assert.equal(
      ((await res.json()) as { message: string }).message,
      "Too many sign-in attempts. Try again in 15 minutes.",
    );
  });
});
