import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { agentProcess } from "./agent-process.ts";

interface DoctorReport {
  ok: boolean;
  exitCode: number;
  checks: Array<{ name: string; status: "ok" | "warn" | "fail"; message: string; fix?: string }>;
}

/** A loopback port that nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", () => resolve()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe("labfleet-agent doctor", () => {
  let cp: TestControlPlane;
  let dir: string;
  let config: string;

  before(async () => {
    cp = await startTestControlPlane();
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-doctor-it-"));
    config = path.join(dir, "agent.json");
    const { token } = await createEnrollmentToken(cp.db, { label: "doctor", expiresInHours: 1, maxUses: 1 }, null);
    const enrolled = await agentProcess(["enroll", "--server", cp.url, "--token", token, "--config", config]).done;
    assert.equal(enrolled.code, 0, enrolled.stderr + enrolled.stdout);
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(configPath: string): Promise<{ code: number | null; report: DoctorReport }> {
    const res = await agentProcess(["doctor", "--json", "--config", configPath], {
      LABFLEET_AGENT_STATE_DIR: path.join(dir, "state"),
    }).done;
    return { code: res.code, report: JSON.parse(res.stdout) as DoctorReport };
  }

  const status = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name)?.status;

  test("against a live server: config, server, clock, credential and buffer are ok; exit 0", {
    timeout: 60_000,
  }, async () => {
    const { code, report } = await doctor(config);
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.equal(report.ok, true);
    for (const name of ["config", "server", "clock", "credential", "buffer"]) {
      assert.equal(status(report, name), "ok", `${name}: ${JSON.stringify(report.checks)}`);
    }
    assert.ok(!report.checks.some((c) => c.status === "fail"));
    assert.ok(report.checks.some((c) => c.name.startsWith("collector ") && c.status === "ok"));
    // The credential check made a real handshake: the server saw this device connect.
    const device = await cp.db.prisma.device.findFirstOrThrow();
    assert.ok(device.lastSeenAt, "the handshake reached the server");
  });

  test("against a dead port: the server check fails, exit 4, with what to fix", { timeout: 60_000 }, async () => {
    const other = path.join(dir, "dead.json");
    const parsed = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    writeFileSync(other, JSON.stringify({ ...parsed, serverUrl: `http://127.0.0.1:${await deadPort()}` }), {
      mode: 0o600,
    });
    const { code, report } = await doctor(other);
    assert.equal(code, 4);
    assert.equal(report.ok, false);
    const server = report.checks.find((c) => c.name === "server");
    assert.equal(server?.status, "fail");
    assert.match(server?.message ?? "", /ECONNREFUSED|fetch failed/);
    assert.ok(server?.fix);
    assert.equal(status(report, "credential"), undefined, "no handshake is tried without a server");
  });

  test("a config readable by others is a warning; a corrupt one fails with exit 7", { timeout: 60_000 }, async () => {
    const exposed = path.join(dir, "exposed.json");
    writeFileSync(exposed, readFileSync(config));
    chmodSync(exposed, 0o644);
    const warned = await doctor(exposed);
    assert.equal(status(warned.report, "config"), "warn");
    assert.match(warned.report.checks.find((c) => c.name === "config")?.fix ?? "", /chmod 600/);

    const corrupt = path.join(dir, "corrupt.json");
    writeFileSync(corrupt, "{ not json", { mode: 0o600 });
    const failed = await doctor(corrupt);
    assert.equal(failed.code, 7);
    assert.equal(status(failed.report, "config"), "fail");
  });
});
