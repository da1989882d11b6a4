import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { CredentialRotate } from "@labfleet/protocol";
import { ROTATION_REQUESTED } from "../services/device-credential.ts";
import {
  connectTestAgent,
  createModel,
  enroll,
  reportFinished,
  runResult,
  sign,
  type TestAgent,
} from "../services/runs/test-kit.ts";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { connectAgent } from "../testing/sockets.ts";
import { agentProcess } from "./agent-process.ts";
import { credentialVerdict, enrollRealAgent, fileMode, readAgentFile, wireCredentialRotation } from "./faults-kit.ts";

describe("device credential rotation", () => {
  let cp: TestControlPlane;
  let dir: string;
  let staff: TestUser;
  const children: ChildProcess[] = [];
  const sockets: TestAgent[] = [];

  before(async () => {
    cp = await startTestControlPlane({ watchedMs: 1000, idleMs: 1000 });
    wireCredentialRotation(cp);
    staff = await cp.user("admin");
    dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-rotate-it-"));
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startAgent(a: { config: string; stateDir: string }) {
    const p = agentProcess(["run", "--config", a.config], { LABFLEET_AGENT_STATE_DIR: a.stateDir });
    children.push(p.child);
    return p;
  }

  const openRequests = (deviceId: string) =>
    cp.db.prisma.deviceCredential.count({ where: { deviceId, revokedAt: null, secretHash: ROTATION_REQUESTED } });

  test("a connected agent stores the new secret atomically (0600), the old one is refused, and it reconnects with the new one", {
    timeout: 90_000,
  }, async () => {
    const a = await enrollRealAgent(cp.url, cp.db, dir, "online");
    const run = startAgent(a);
    await eventually(() => cp.plane.hub.isOnline(a.deviceId), 30_000, 100);

    const res = await cp.caller(staff).device.rotateCredential({ id: a.deviceId });
    assert.deepEqual(res, { id: a.deviceId, status: "rotated" });

    const after1 = await readAgentFile(a.config);
    assert.notEqual(after1.deviceSecret, a.deviceSecret, "the file holds a new secret");
    assert.equal(after1.deviceId, a.deviceId);
    assert.equal(await fileMode(a.config), 0o600, "the credential file stays private");
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
      "no temp file is left behind",
    );
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "BAD_CREDENTIAL", "old secret refused");
    await assert.rejects(
      connectAgent(cp.url, { deviceId: a.deviceId, secret: a.deviceSecret }),
      (e: Error & { data?: { code?: string } }) => e.data?.code === "BAD_CREDENTIAL",
      "a handshake with the old secret is refused",
    );
    assert.equal(await credentialVerdict(cp.db, a.deviceId, after1.deviceSecret), "ok");
    assert.equal(await openRequests(a.deviceId), 0, "the request is done");
    const audit = await cp.db.prisma.auditLog.findMany({ where: { action: "device.rotateCredential" } });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.targetId, a.deviceId);
    assert.ok(!JSON.stringify(audit[0]?.detail).includes(after1.deviceSecret), "no secret in the audit log");

    // The running agent uses the new secret for its next connection: a server restart makes it reconnect.
    await cp.stopServer();
    await cp.startServer();
    wireCredentialRotation(cp);
    await eventually(() => cp.plane.hub.isOnline(a.deviceId), 60_000, 100);
    run.child.kill("SIGTERM");
    const exit = await run.done;
    assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    assert.ok(!exit.stdout.includes(after1.deviceSecret), "the secret is never logged");
  });

  test("an offline device keeps its secret until it connects, then rotates", { timeout: 90_000 }, async () => {
    const a = await enrollRealAgent(cp.url, cp.db, dir, "offline");
    const res = await cp.caller(staff).device.rotateCredential({ id: a.deviceId });
    assert.deepEqual(res, { id: a.deviceId, status: "pending" });
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "ok", "still valid while away");

    const run = startAgent(a);
    const rotated = await eventually(
      async () => {
        const f = await readAgentFile(a.config);
        return f.deviceSecret !== a.deviceSecret ? f : null;
      },
      30_000,
      100,
    );
    await eventually(async () => (await openRequests(a.deviceId)) === 0, 10_000, 50);
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "BAD_CREDENTIAL");
    assert.equal(await credentialVerdict(cp.db, a.deviceId, rotated.deviceSecret), "ok");
    assert.ok(cp.plane.hub.isOnline(a.deviceId), "the agent stayed connected through its rotation");
    run.child.kill("SIGTERM");
    assert.equal((await run.done).code, 0);
  });

  /** A device that dies mid-rotation, played by a raw socket: it receives the secret and acts as told. */
  async function dyingAgent(a: { config: string; deviceId: string; deviceSecret: string }, writeFirst: boolean) {
    const agent = await connectTestAgent(cp, { id: a.deviceId, secret: a.deviceSecret, name: "dying" });
    sockets.push(agent);
    const received = new Promise<string>((resolve) => {
      agent.socket.on("credential:rotate" as never, (payload: CredentialRotate) => {
        // Written as the agent does, then no ack: the process is gone before it could answer.
        if (writeFirst) {
          const file = { serverUrl: cp.url, deviceId: a.deviceId, deviceSecret: payload.secret, name: "dying" };
          writeFileSync(a.config, `${JSON.stringify(file)}\n`, { mode: 0o600 });
        }
        agent.close();
        resolve(payload.secret);
      });
    });
    return received;
  }

  test("agent killed after writing the new secret and before acking: it comes back with the new secret, the old one ends", {
    timeout: 90_000,
  }, async () => {
    const a = await enrollRealAgent(cp.url, cp.db, dir, "killed-after-write");
    const received = dyingAgent(a, true);
    const res = await cp.caller(staff).device.rotateCredential({ id: a.deviceId });
    assert.equal(res.status, "pending", "no ack came");
    const secret = await received;
    // Both stay valid until the device shows which one it kept: the old one must not brick a device that never
    // wrote the new one, and the new one is the only one this device has now.
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "ok");

    const run = startAgent(a);
    await eventually(() => cp.plane.hub.isOnline(a.deviceId), 30_000, 100);
    assert.equal((await readAgentFile(a.config)).deviceSecret, secret, "no second rotation was needed");
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "BAD_CREDENTIAL");
    assert.equal(await openRequests(a.deviceId), 0);
    run.child.kill("SIGTERM");
    assert.equal((await run.done).code, 0);
  });

  test("agent killed before writing: it comes back with the old secret and is rotated again", {
    timeout: 90_000,
  }, async () => {
    const a = await enrollRealAgent(cp.url, cp.db, dir, "killed-before-write");
    const received = dyingAgent(a, false);
    assert.equal((await cp.caller(staff).device.rotateCredential({ id: a.deviceId })).status, "pending");
    const lost = await received;

    const run = startAgent(a);
    const f = await eventually(
      async () => {
        const file = await readAgentFile(a.config);
        return file.deviceSecret !== a.deviceSecret ? file : null;
      },
      30_000,
      100,
    );
    assert.notEqual(f.deviceSecret, lost, "a fresh secret, not the one that never arrived");
    await eventually(async () => (await openRequests(a.deviceId)) === 0, 10_000, 50);
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "BAD_CREDENTIAL");
    assert.equal(
      await credentialVerdict(cp.db, a.deviceId, lost),
      "BAD_CREDENTIAL",
      "the undelivered secret is retired",
    );
    run.child.kill("SIGTERM");
    assert.equal((await run.done).code, 0);
  });

  test("server restarted mid-rotation (secret sent, ack never processed): the device completes it on reconnect", {
    timeout: 90_000,
  }, async () => {
    const a = await enrollRealAgent(cp.url, cp.db, dir, "server-restart");
    const agent = await connectTestAgent(cp, { id: a.deviceId, secret: a.deviceSecret, name: "server-restart" });
    sockets.push(agent);
    const delivered = new Promise<string>((resolve) => {
      agent.socket.on("credential:rotate" as never, (payload: CredentialRotate, ack: (r: unknown) => void) => {
        // The server goes down before the agent answers; the agent has stored the secret and acks into the void.
        void cp.stopServer().then(() => {
          const file = { serverUrl: cp.url, deviceId: a.deviceId, deviceSecret: payload.secret, name: "sr" };
          writeFileSync(a.config, `${JSON.stringify(file)}\n`, { mode: 0o600 });
          ack({ ok: true, data: { stored: true } });
          resolve(payload.secret);
        });
      });
    });
    const mutation = cp
      .caller(staff)
      .device.rotateCredential({ id: a.deviceId })
      .catch((e: unknown) => e);
    const secret = await delivered;
    await mutation;
    agent.close();
    await cp.startServer();
    wireCredentialRotation(cp);

    const run = startAgent(a);
    await eventually(() => cp.plane.hub.isOnline(a.deviceId), 30_000, 100);
    assert.equal((await readAgentFile(a.config)).deviceSecret, secret);
    assert.equal(await credentialVerdict(cp.db, a.deviceId, a.deviceSecret), "BAD_CREDENTIAL");
    assert.equal(await openRequests(a.deviceId), 0);
    run.child.kill("SIGTERM");
    assert.equal((await run.done).code, 0);
  });

  test("a result signed with the old key before the rotation still verifies; the old key cannot sign a later run", async () => {
    const versionId = (await createModel(cp)).versions[0]?.id as string;
    const d = await enroll(cp, "signer");
    let newSecret = "";
    const agent = await connectTestAgent(cp, d);
    sockets.push(agent);
    agent.socket.on("credential:rotate" as never, (payload: CredentialRotate, ack: (r: unknown) => void) => {
      newSecret = payload.secret;
      ack({ ok: true, data: { stored: true } });
    });
    const spec = { kind: "benchmark" as const, iterations: 20 };
    const before = await cp.caller(staff).run.start({ versionId, deviceId: d.id, spec });
    // Finished and signed before the rotation; it sits in the agent's buffer while the rotation happens.
    const signedEarly = sign(runResult(before.id, d.id), d.secret);
    assert.equal((await cp.caller(staff).device.rotateCredential({ id: d.id })).status, "rotated");
    agent.close();

    const again = await connectTestAgent(cp, { ...d, secret: newSecret });
    sockets.push(again);
    assert.deepEqual(await reportFinished(again, signedEarly), { ok: true, data: { stored: 1 } });
    const stored = await cp.db.prisma.run.findUniqueOrThrow({ where: { id: before.id } });
    assert.equal(stored.status, "succeeded");
    assert.equal(stored.signatureValid, true, "the device's own key at the time signed it");

    const later = await cp.caller(staff).run.start({ versionId, deviceId: d.id, spec });
    await reportFinished(again, sign(runResult(later.id, d.id), d.secret));
    const forged = await cp.db.prisma.run.findUniqueOrThrow({ where: { id: later.id } });
    assert.equal(forged.signatureValid, false, "a key retired before the run existed does not vouch for it");
  });

  test("a revoked device cannot be rotated", async () => {
    const d = await enroll(cp, "revoked");
    await cp.caller(staff).device.revoke({ id: d.id });
    await assert.rejects(cp.caller(staff).device.rotateCredential({ id: d.id }), { code: "CONFLICT" });
    await assert.rejects(cp.caller(null).device.rotateCredential({ id: d.id }), { code: "UNAUTHORIZED" });
  });
});
