import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeConfigFile } from "../config/config-file.ts";
import { collectStatus, formatStatus } from "./status.ts";

test("status reads the health file from the state dir and shows the buffer, the last send and the last error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "labfleet-status-"));
  try {
    const config = join(dir, "agent.json");
    await writeConfigFile(config, {
      serverUrl: "http://127.0.0.1:1",
      deviceId: "dev_1",
      deviceSecret: "lfd_secret_secret_secret",
      name: "pc-1",
    });
    const stateDir = join(dir, "state");
    const now = 1_764_000_000_000;
    const health = {
      state: "backing_off",
      since: now - 5_000,
      server: "http://127.0.0.1:1",
      deviceId: "dev_1",
      lastError: { code: "UNREACHABLE", message: "connect ECONNREFUSED", at: now - 5_000 },
      nextRetryAt: now + 1_000,
      pid: process.pid,
      updatedAt: now,
      buffer: {
        dir: join(stateDir, "buffer"),
        bytes: 3 * 1024 * 1024,
        maxBytes: 64 * 1024 * 1024,
        records: 42,
        telemetry: 40,
        events: 2,
        droppedSamples: 7,
      },
      lastSendAt: now - 60_000,
    };
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, "agent-state.json"), JSON.stringify(health));

    const beside = await collectStatus(config);
    assert.equal(beside.state, null, "without the state dir, nothing is found beside the config");
    const report = await collectStatus(config, { envStateDir: stateDir });
    assert.equal(report.running, true);
    assert.equal(report.state?.buffer?.records, 42);
    const text = formatStatus(report, now).join("\n");
    assert.match(text, /State: +backing_off/);
    assert.match(text, /Buffer: +3\.00 MiB of 64 MiB, 42 records waiting \(40 telemetry, 2 events\)/);
    assert.match(text, /Dropped: +7 telemetry samples/);
    assert.match(text, /Last send: +.*\(60s ago\)/);
    assert.match(text, /Last error: UNREACHABLE: connect ECONNREFUSED/);
    assert.ok(!text.includes("lfd_secret"), "no secret in the status");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
