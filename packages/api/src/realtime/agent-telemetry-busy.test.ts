import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Ack, TelemetryReportAck } from "@labfleet/protocol";
import { enroll } from "../services/runs/test-kit.ts";
import { telemetryWriterFor } from "../services/telemetry.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, sample } from "../testing/sockets.ts";

const REPORTS = 20;

describe("telemetry backpressure on /agent", () => {
  let cp: TestControlPlane;
  let agent: AgentClient;
  let deviceId: string;

  before(async () => {
    cp = await startTestControlPlane();
    // A tiny queue, set before any report: the first call decides the writer's limits.
    telemetryWriterFor(cp.db, { maxInFlight: 1, maxQueuedSamples: 2 });
    const device = await enroll(cp, "lab-pc-busy");
    deviceId = device.id;
    agent = await connectAgent(cp.url, { deviceId, secret: device.secret });
  });
  after(async () => {
    agent?.close();
    await cp.close();
  });

  test("while the database is slow a full queue answers BUSY; resent afterwards, every sample is stored once", {
    timeout: 30_000,
  }, async () => {
    const t0 = Date.now() - REPORTS * 1000;
    const report = (i: number) =>
      agent.timeout(20_000).emitWithAck("telemetry:report", { samples: [sample(t0 + i * 1000)] }) as Promise<
        Ack<TelemetryReportAck>
      >;
    const locker = await cp.db.pool.connect();
    const acks: Promise<Ack<TelemetryReportAck>>[] = [];
    try {
      await locker.query(`BEGIN; LOCK TABLE "telemetry" IN SHARE MODE`);
      for (let i = 0; i < REPORTS; i++) {
        acks.push(report(i));
        await new Promise((r) => setTimeout(r, 10));
      }
      // Refusals come back while the inserts still wait: the server answers at once rather than queueing.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await locker.query("COMMIT");
      locker.release();
    }
    const answers = await Promise.all(acks);
    const busy = answers.flatMap((a, i) => (a.ok ? [] : [i]));
    for (const i of busy) {
      const a = answers[i];
      assert.ok(a && !a.ok && a.error.code === "BUSY", JSON.stringify(a));
    }
    // One statement in flight and two samples waiting: everything else was refused.
    assert.ok(busy.length >= REPORTS - 3, `${busy.length} BUSY of ${REPORTS}`);
    assert.ok(cp.plane.counters.rejected.get("BUSY") === busy.length, "each refusal is counted");
    assert.equal(agent.connected, true, "BUSY does not cost the connection");
    // As the agent does with its buffer: the refused samples go again, now that the database keeps up.
    for (const i of busy) assert.deepEqual(await report(i), { ok: true, data: { stored: 1 } });
    const { rows } = await cp.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry WHERE device_id = $1`, [
      deviceId,
    ]);
    assert.equal(Number(rows[0]?.n), REPORTS);
  });
});
