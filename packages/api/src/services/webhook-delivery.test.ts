import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { webhookPayloadSchema } from "@labfleet/protocol";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { acknowledgeAlert, raiseWorkloadFailed } from "./alert.ts";
import { enrollTestDevice } from "./alert-testkit.ts";
import { DELIVERY_RETENTION_MS, deliverDue, MAX_ATTEMPTS, pruneDeliveries, retryDelayMs } from "./webhook-delivery.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback that answers every POST with `status` (or never, with "hang"). */
async function receiver(answer: number | "hang") {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (answer !== "hang") res.writeHead(answer).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function verify(secret: string, r: Received): boolean {
  const sig = String(r.headers["x-labfleet-signature"] ?? "");
  const expected = `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`;
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

describe("webhooks", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
  });
  after(async () => {
    for (const s of servers) await s.close();
    await cp.close();
  });

  const disableAll = () => cp.db.prisma.webhook.updateMany({ data: { enabled: false } });

  test("only http and https addresses are accepted", async () => {
    const api = cp.caller(admin).webhook;
    for (const url of ["ftp://example.test/x", "javascript:alert(1)", "not a url", "file:///etc/passwd"]) {
      await assert.rejects(api.create({ name: "bad", url }), (e: Error & { code?: string }) => {
        assert.equal(e.code, "BAD_REQUEST");
        return true;
      });
    }
  });

  test("an alert's fire and acknowledge reach the receiver signed with the webhook's secret", async () => {
    const rx = await receiver(204);
    servers.push(rx);
    const hook = await cp.caller(admin).webhook.create({ name: "Ops chat", url: rx.url });
    assert.match(hook.secret, /^whsec_/);
    assert.equal(
      (await cp.caller(admin).webhook.list()).some((h) => "secret" in h),
      false,
      "the secret is shown once",
    );

    const d = await enrollTestDevice(cp, "hook-pc");
    const deps = { db: cp.db, hub: cp.plane.hub };
    const alert = await raiseWorkloadFailed(deps, d.deviceId, "Run 7 failed.");
    assert.ok(alert);
    await acknowledgeAlert(deps, alert.id, admin.id);
    const now = Date.now();
    assert.equal(await deliverDue(cp.db, now), 2);

    assert.equal(rx.got.length, 2);
    const events = rx.got.map((r) => r.headers["x-labfleet-event"]).sort();
    assert.deepEqual(events, ["alert.acknowledged", "alert.fired"]);
    for (const r of rx.got) {
      assert.ok(verify(hook.secret, r), "signature matches the raw body");
      assert.equal(r.headers["content-type"], "application/json");
      const body = webhookPayloadSchema.parse(JSON.parse(r.body));
      assert.equal(body.alert?.id, alert.id);
      assert.equal(body.device?.id, d.deviceId);
      assert.equal(body.device?.name, "hook-pc");
      assert.equal(body.sentAt, now);
      assert.equal(body.event, r.headers["x-labfleet-event"]);
    }
    assert.equal(verify("whsec_wrong", rx.got[0] as Received), false);

    const log = await cp.caller(admin).webhook.deliveries({ webhookId: hook.id });
    assert.equal(log.length, 2);
    for (const entry of log) {
      assert.equal(entry.status, "delivered");
      assert.equal(entry.attempts, 1);
      assert.equal(entry.responseStatus, 204);
      assert.equal(entry.lastError, null);
      assert.ok(rx.got.some((r) => r.headers["x-labfleet-delivery"] === entry.id));
    }
    assert.equal(await deliverDue(cp.db, now + 3_600_000), 0, "delivered ones are not sent again");

    const tested = await cp.caller(admin).webhook.test({ id: hook.id });
    assert.equal(tested.status, "delivered");
    assert.equal(rx.got.at(-1)?.headers["x-labfleet-event"], "webhook.test");
    assert.ok(verify(hook.secret, rx.got.at(-1) as Received));
    await disableAll();
  });

  test("a failing receiver is retried with exponential backoff, then given up; the log shows it", async () => {
    const rx = await receiver(500);
    servers.push(rx);
    const hook = await cp.caller(admin).webhook.create({ name: "Broken", url: rx.url });
    const d = await enrollTestDevice(cp, "retry-pc");
    await raiseWorkloadFailed({ db: cp.db, hub: cp.plane.hub }, d.deviceId, "Run 9 failed.");

    let now = Date.now();
    const ids = new Set<string>();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      assert.equal(await deliverDue(cp.db, now), 1, `attempt ${attempt} is due`);
      assert.equal(rx.got.length, attempt);
      ids.add(String(rx.got.at(-1)?.headers["x-labfleet-delivery"]));
      const [row] = await cp.caller(admin).webhook.deliveries({ webhookId: hook.id });
      assert.equal(row?.attempts, attempt);
      assert.equal(row?.responseStatus, 500);
      assert.match(row?.lastError ?? "", /HTTP 500/);
      if (attempt < MAX_ATTEMPTS) {
        assert.equal(row?.status, "pending");
        const wait = retryDelayMs(attempt);
        assert.equal(row?.nextAttemptAt.getTime(), now + wait);
        // Not due a moment before its time.
        assert.equal(await deliverDue(cp.db, now + wait - 1), 0);
        now += wait;
      } else {
        assert.equal(row?.status, "failed");
      }
    }
    assert.deepEqual(
      [1, 2, 3, 4].map(retryDelayMs),
      [30_000, 60_000, 120_000, 240_000],
      "doubling waits: 7.5 min over 5 attempts",
    );
    assert.equal(ids.size, 1, "every retry carries the same delivery id");
    assert.equal(await deliverDue(cp.db, now + 3_600_000), 0, "given up: no more attempts");
    await disableAll();
  });

  test("refused connections and receivers that never answer are logged as such", async () => {
    const dead = await receiver(200);
    const deadUrl = dead.url;
    await dead.close();
    const slow = await receiver("hang");
    servers.push(slow);
    await cp.caller(admin).webhook.create({ name: "Down", url: deadUrl });
    await cp.caller(admin).webhook.create({ name: "Slow", url: slow.url });
    const d = await enrollTestDevice(cp, "down-pc");
    await raiseWorkloadFailed({ db: cp.db, hub: cp.plane.hub }, d.deviceId, "Run 10 failed.");
    assert.equal(await deliverDue(cp.db, Date.now(), { timeoutMs: 300 }), 2);
    const log = await cp.caller(admin).webhook.deliveries({});
    const down = log.find((l) => l.webhookName === "Down");
    const hung = log.find((l) => l.webhookName === "Slow");
    assert.equal(down?.status, "pending");
    assert.match(down?.lastError ?? "", /ECONNREFUSED/);
    assert.equal(down?.responseStatus, null);
    assert.equal(hung?.status, "pending");
    assert.match(hung?.lastError ?? "", /No answer within/);
    assert.equal(slow.got.length, 1);
    await disableAll();
  });

  test("the log keeps 30 days of finished deliveries and every pending one", async () => {
    const before = await cp.db.prisma.webhookDelivery.groupBy({ by: ["status"], _count: true });
    const pending = before.find((g) => g.status === "pending")?._count ?? 0;
    assert.ok(pending > 0 && before.some((g) => g.status !== "pending"));
    assert.equal(await pruneDeliveries(cp.db, Date.now()), 0, "nothing is old yet");
    const later = Date.now() + DELIVERY_RETENTION_MS + 1000;
    assert.ok((await pruneDeliveries(cp.db, later)) > 0);
    const left = await cp.db.prisma.webhookDelivery.findMany({ select: { status: true } });
    assert.equal(left.length, pending);
    assert.ok(left.every((d) => d.status === "pending"));
  });

  test("edit, rotate the secret and delete", async () => {
    const api = cp.caller(admin).webhook;
    const hook = await api.create({ name: "Tmp", url: "https://example.test/hook" });
    const edited = await api.update({ id: hook.id, name: "Renamed", url: "http://127.0.0.1:9/x", enabled: false });
    assert.equal(edited.name, "Renamed");
    assert.equal(edited.enabled, false);
    const rotated = await api.rotateSecret({ id: hook.id });
    assert.notEqual(rotated.secret, hook.secret);
    await api.delete({ id: hook.id });
    await assert.rejects(api.delete({ id: hook.id }), /does not exist/);
    await assert.rejects(api.test({ id: hook.id }), /does not exist/);
  });
});
