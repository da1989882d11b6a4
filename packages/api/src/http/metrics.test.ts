import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { raiseWorkloadFailed } from "../services/alert.ts";
import { enrollTestDevice, type TestDevice } from "../services/alert-testkit.ts";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";

describe("GET /metrics", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let device: TestDevice;

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    device = await enrollTestDevice(cp, "metrics-pc");
    await device.connect();
    await device.report({ cpuTempC: 61.5, cpuLoadPct: 42, memUsedBytes: 2_000_000_000 });
  });
  after(async () => {
    device.disconnect();
    await cp.close();
  });

  const scrape = (token?: string) =>
    fetch(`${cp.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  test("is off until an admin creates a token, and says how to turn it on", async () => {
    const res = await scrape();
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "NOT_FOUND");
    assert.match(body.error.message, /Settings page/);
    assert.equal((await cp.caller(admin).settings.metricsStatus()).configured, false);
  });

  test("refuses a missing or wrong token and serves the fleet gauges with the right one", async () => {
    const { token } = await cp.caller(admin).settings.rotateMetricsToken();
    assert.equal((await cp.caller(admin).settings.metricsStatus()).configured, true);
    const stored = await cp.db.prisma.setting.findMany();
    assert.ok(
      stored.every((s) => !s.value.includes(token)),
      "only a hash of the token is stored",
    );

    for (const bad of [undefined, "", "lfm_wrong", `${token}x`]) {
      const res = await scrape(bad);
      assert.equal(res.status, 401, `token ${String(bad)}`);
      assert.match(await res.text(), /Authorization: Bearer/);
    }

    await raiseWorkloadFailed({ db: cp.db, hub: cp.plane.hub }, device.deviceId, "Run failed.");
    const res = await scrape(token);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    const text = await res.text();
    const labels = `device_id="${device.deviceId}",device_name="metrics-pc",lab_id=""`;
    assert.match(text, new RegExp(`labfleet_device_online\\{${labels}\\} 1\\n`));
    assert.match(text, new RegExp(`labfleet_device_cpu_temp_celsius\\{${labels}\\} 61.5\\n`));
    assert.match(text, new RegExp(`labfleet_device_cpu_load_percent\\{${labels}\\} 42\\n`));
    assert.match(text, new RegExp(`labfleet_device_memory_used_bytes\\{${labels}\\} 2000000000\\n`));
    assert.match(text, new RegExp(`labfleet_device_alerts_firing\\{${labels}\\} 1\\n`));
    assert.match(text, /labfleet_process_process_cpu_user_seconds_total/);
    assert.match(text, /labfleet_process_nodejs_heap_size_used_bytes/);

    // Rotating replaces the token at once; disabling turns the endpoint off again.
    const { token: next } = await cp.caller(admin).settings.rotateMetricsToken();
    assert.equal((await scrape(token)).status, 401);
    assert.equal((await scrape(next)).status, 200);
    await cp.caller(admin).settings.disableMetrics();
    assert.equal((await scrape(next)).status, 404);
  });
});
