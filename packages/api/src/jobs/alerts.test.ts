import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { enrollTestDevice, type TestDevice } from "../services/alert-testkit.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";

describe("alert and webhook jobs, through the scheduler", () => {
  let cp: TestControlPlane;
  let device: TestDevice;
  const bodies: string[] = [];
  const rx = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200).end();
    });
  });

  before(async () => {
    cp = await startTestControlPlane();
    await new Promise<void>((resolve) => rx.listen(0, "127.0.0.1", () => resolve()));
    device = await enrollTestDevice(cp, "job-pc");
    await device.connect();
  });
  after(async () => {
    device.disconnect();
    await cp.close();
    await new Promise<void>((resolve) => rx.close(() => resolve()));
  });

  test("the registered jobs evaluate the live sample and deliver the webhook", async () => {
    const admin = await cp.user("admin");
    const { port } = rx.address() as AddressInfo;
    await cp.caller(admin).webhook.create({ name: "rx", url: `http://127.0.0.1:${port}/` });
    await device.report({ diskUsedBytes: 96, diskTotalBytes: 100 });

    assert.equal(await cp.plane.jobs.runNow("alerts.evaluate"), true);
    const open = await cp.db.prisma.alert.findMany({ where: { deviceId: device.deviceId } });
    assert.deepEqual(
      open.map((a) => [a.kind, a.state, a.value]),
      [["disk_full", "firing", 96]],
    );

    assert.equal(await cp.plane.jobs.runNow("webhooks.deliver"), true);
    assert.equal(bodies.length, 1);
    const body = JSON.parse(bodies[0] ?? "{}") as { event: string; alert: { kind: string } };
    assert.equal(body.event, "alert.fired");
    assert.equal(body.alert.kind, "disk_full");
  });
});
