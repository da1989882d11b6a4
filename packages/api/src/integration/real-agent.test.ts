import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Ack, DeviceSnapshot, DeviceSummary } from "@labfleet/protocol";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { connectDashboard } from "../testing/sockets.ts";
import { agentProcess } from "./agent-process.ts";

/** The real agent CLI as a separate process, logging at debug level. */
const agent = (args: string[]) => agentProcess(args, { LABFLEET_LOG_LEVEL: "debug" });

describe("a real agent process against a real control plane", () => {
  let cp: TestControlPlane;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 1000, idleMs: 2000 });
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-agent-it-"));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("enrolls, reports inventory and telemetry live, reconnects, and exits when revoked", {
    timeout: 90_000,
  }, async () => {
    const config = path.join(dir, "agent.json");
    const { token } = await createEnrollmentToken(cp.db, { label: "it", expiresInHours: 1, maxUses: 1 }, null);

    const enrolled = await agent(["enroll", "--server", cp.url, "--token", token, "--config", config]).done;
    assert.equal(enrolled.code, 0, enrolled.stderr + enrolled.stdout);
    assert.equal(statSync(config).mode & 0o777, 0o600, "the credential file is readable only by its owner");
    assert.ok(!(enrolled.stdout + enrolled.stderr).includes("lfd_"), "the secret is never printed");

    const usedUp = await agent([
      "enroll",
      "--server",
      cp.url,
      "--token",
      token,
      "--config",
      path.join(dir, "other.json"),
    ]).done;
    assert.equal(usedUp.code, 3);
    assert.match(usedUp.stderr + usedUp.stdout, /TOKEN_USED_UP|used/i);

    const admin = await cp.user("admin");
    const browser = await connectDashboard(cp.url, await cp.cookieFor(admin));
    try {
      await browser.emitWithAck("fleet:subscribe", {});
      const run = agent(["run", "--config", config]);
      children.push(run.child);

      const device = await eventually(
        async () => (await cp.db.prisma.device.findFirst({ where: { inventoryHash: { not: null } } })) ?? null,
        20_000,
      );
      // Its samples' summaries come gathered (`devices:updated`); a status change comes alone.
      const summaries: DeviceSummary[] = [];
      browser.on("device:updated", (d) => summaries.push(d));
      browser.on("devices:updated", ({ devices }) => summaries.push(...devices));
      const online = await eventually(
        async () => summaries.find((d) => d.id === device.id && d.status === "online" && d.latest) ?? null,
        30_000,
      );
      assert.ok(online.latest);
      assert.ok(online.latest.cpuLoadPct >= 0 && online.latest.cpuLoadPct <= 100);
      assert.ok(online.latest.memTotalBytes > 0);
      // The summary carries a digest; the whole sample, per-core loads included, goes to a browser watching it.
      assert.ok(!("cpuPerCorePct" in online.latest), "the fleet's summaries carry the digest, not the whole sample");
      const watched = (await browser.emitWithAck("device:subscribe", { deviceId: device.id })) as Ack<DeviceSnapshot>;
      assert.ok(watched.ok, "the device's snapshot");
      assert.equal(watched.data.recent.at(-1)?.cpuPerCorePct.length, os.cpus().length);

      const inv = (await cp.db.prisma.device.findUniqueOrThrow({ where: { id: device.id } })).inventory as {
        hostname: string;
        cpu: { cores: number };
      };
      assert.equal(inv.hostname, os.hostname());
      assert.equal(inv.cpu.cores, os.cpus().length);

      // The server drops every agent connection: the agent comes back by itself.
      cp.plane.io.of("/agent").disconnectSockets(true);
      await eventually(() => !cp.plane.hub.isOnline(device.id), 5000);
      await eventually(() => cp.plane.hub.isOnline(device.id), 40_000, 200);
      // The server holds this inventory already: the reconnected agent does not send it again.
      await eventually(() => run.output().includes("inventory unchanged; not sent"), 20_000);
      assert.equal(run.output().split('"msg":"inventory reported"').length - 1, 1, "the inventory went out once");

      const samplesBefore = Number(
        (await cp.db.pool.query("SELECT count(*) FROM telemetry WHERE device_id = $1", [device.id])).rows[0].count,
      );
      assert.ok(samplesBefore >= 1);

      await cp.caller(admin).device.revoke({ id: device.id });
      const exit = await run.done;
      assert.equal(exit.code, 5, exit.stdout + exit.stderr);
      assert.match(exit.stdout + exit.stderr, /revoked/i);
    } finally {
      browser.close();
    }
  });
});
