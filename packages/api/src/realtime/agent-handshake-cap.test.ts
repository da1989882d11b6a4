import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { PROTOCOL_VERSION, type WireError } from "@labfleet/protocol";
import { Server } from "socket.io";
import { enrollDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent } from "../testing/sockets.ts";
import { attachAgentNamespace } from "./agent-namespace.ts";
import { EdgeCounters } from "./handle.ts";
import { FleetHub } from "./hub.ts";

const DEVICES = 5;
const CAP = 2;

describe("handshakes in flight on /agent", () => {
  let cp: TestControlPlane;
  let io: Server;
  let url: string;
  const counters = new EdgeCounters();
  const devices: { deviceId: string; secret: string }[] = [];
  const open: AgentClient[] = [];

  before(async () => {
    cp = await startTestControlPlane();
    const { token } = await createEnrollmentToken(cp.db, { label: "t", expiresInHours: 1, maxUses: DEVICES }, null);
    for (let i = 0; i < DEVICES; i++) {
      const e = await enrollDevice(cp.db, {
        token,
        hostname: `lab-pc-cap-${i}`,
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: "0.1.0",
      });
      devices.push({ deviceId: e.deviceId, secret: e.deviceSecret });
    }
    // A namespace of its own with a small cap, on the test's database.
    const http = createServer();
    io = new Server(http, { transports: ["websocket"], serveClient: false });
    const hub = new FleetHub(cp.db, io.of("/dashboard") as never, { watchedMs: 1000, idleMs: 1000 });
    attachAgentNamespace(io, { db: cp.db, hub, counters, maxHandshakes: CAP });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of open) s.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await cp.close();
  });

  test("beyond the cap a handshake is refused with BUSY at once; the ones let in complete", {
    timeout: 30_000,
  }, async () => {
    const locker = await cp.db.pool.connect();
    let attempts: (AgentClient | null)[];
    const refused: (Error & { data?: WireError })[] = [];
    try {
      // Device reads wait on the lock: the first handshakes stay in flight while the rest arrive.
      await locker.query(`BEGIN; LOCK TABLE "device" IN ACCESS EXCLUSIVE MODE`);
      // Which handshakes are admitted depends on arrival order; the count does not.
      const pending = devices.map((d) =>
        connectAgent(url, d).catch((err: Error & { data?: WireError }) => {
          refused.push(err);
          return null;
        }),
      );
      await eventually(() => refused.length === DEVICES - CAP, 5_000);
      assert.deepEqual(
        refused.map((e) => e.data?.code),
        Array(DEVICES - CAP).fill("BUSY"),
        "the excess is answered BUSY while the admitted handshakes still wait",
      );
      await locker.query("COMMIT");
      attempts = await Promise.all(pending);
    } finally {
      await locker.query("ROLLBACK").catch(() => undefined);
      locker.release();
    }
    assert.equal(refused.length, DEVICES - CAP, "no admitted handshake failed");
    const admitted = attempts.filter((a) => a !== null);
    open.push(...admitted);
    assert.equal(admitted.length, CAP);
    assert.equal(counters.rejected.get("BUSY"), DEVICES - CAP, "each refusal is counted");
    // Once the rush is over, a device that was refused gets in on its retry.
    const retry = await connectAgent(url, devices[DEVICES - 1] as { deviceId: string; secret: string });
    open.push(retry);
    assert.equal(retry.connected, true);
  });
});
