import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { eventually, startTestControlPlane, type TestControlPlane } from "../../../packages/api/src/testing/harness.ts";
import { startSimulator } from "./simulator.ts";

const N = 20;
const silent = pino({ level: "silent" });

describe("simulator against a real control plane", () => {
  let cp: TestControlPlane;
  let dir: string;

  before(async () => {
    cp = await startTestControlPlane();
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-sim-"));
  });
  after(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`enrolls ${N} devices that come online as simulated, and a second run reuses them`, async () => {
    const admin = await cp.user("admin");
    const api = cp.caller(admin);
    const { token } = await api.enrollmentToken.create({ label: "sim", expiresInHours: 1, maxUses: N });
    const stateFile = path.join(dir, "state.json");

    const first = await startSimulator({
      url: cp.url,
      token,
      devices: N,
      stateFile,
      personalityFor: () => "steady",
      log: silent,
    });
    try {
      assert.equal(first.enrolled, N);
      const online = await eventually(async () => {
        const list = await api.device.list();
        const ok = list.filter((d) => d.status === "online" && d.simulated && d.latest !== null);
        return ok.length === N ? list : null;
      }, 20_000);
      assert.deepEqual(
        online.map((d) => d.hostname).sort(),
        Array.from({ length: N }, (_, i) => `sim-${String(i + 1).padStart(3, "0")}`),
      );
      const detail = await api.device.get({ id: first.devices[0]?.deviceId as string });
      assert.equal(detail.inventory?.simulated, true);
      // The server pushed its interval with config:updated and the devices follow it.
      assert.ok(first.devices.every((d) => d.intervalMs === 1000));
    } finally {
      await first.stop();
    }
    await eventually(async () => (await api.device.list()).every((d) => d.status === "offline"), 10_000);

    // The state file holds the secrets: owner-only.
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { devices: { deviceId: string }[] };
    assert.equal(saved.devices.length, N);

    // No token this time (it is used up anyway): every device comes from the state file.
    const second = await startSimulator({ url: cp.url, devices: N, stateFile, log: silent });
    try {
      assert.equal(second.enrolled, 0);
      assert.deepEqual(
        second.devices.map((d) => d.deviceId),
        first.devices.map((d) => d.deviceId),
      );
      await eventually(async () => {
        const list = await api.device.list();
        return list.length === N && list.filter((d) => d.status === "online").length >= N - 3;
      }, 20_000);
    } finally {
      await second.stop();
    }
  });

  it("refuses a non-loopback server unless told, and asks for a token when devices are missing", async () => {
    await assert.rejects(
      startSimulator({ url: "http://192.0.2.10:3000", token: "x".repeat(20), devices: 1, log: silent }),
      /not a loopback address/,
    );
    await assert.rejects(
      startSimulator({ url: cp.url, devices: 1, stateFile: path.join(dir, "none.json"), log: silent }),
      /enrollment token/,
    );
    await assert.rejects(
      startSimulator({ url: cp.url, devices: 5001, token: "x".repeat(20), log: silent }),
      /1 to 5000/,
    );
  });
});
