import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Ack, TelemetryReportAck } from "@labfleet/protocol";
import { enroll } from "../services/runs/test-kit.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, sample } from "../testing/sockets.ts";

describe("FleetHub.drain", () => {
  let cp: TestControlPlane;
  let agent: AgentClient;
  let deviceId: string;

  before(async () => {
    cp = await startTestControlPlane();
    const device = await enroll(cp, "lab-pc-drain");
    deviceId = device.id;
    agent = await connectAgent(cp.url, { deviceId, secret: device.secret });
  });
  after(async () => {
    agent?.close();
    await cp.close();
  });

  test("writes the lastSeenAt noted but not yet written, rather than losing it at shutdown", async () => {
    const seenAt = async () =>
      (await cp.db.prisma.device.findUniqueOrThrow({ where: { id: deviceId }, select: { lastSeenAt: true } }))
        .lastSeenAt;
    const before = (await seenAt())?.getTime() ?? 0;
    await new Promise((r) => setTimeout(r, 20));
    const reportedAt = Date.now();
    const ack = (await agent.emitWithAck("telemetry:report", {
      samples: [sample(reportedAt)],
    })) as Ack<TelemetryReportAck>;
    assert.deepEqual(ack, { ok: true, data: { stored: 1 } });
    // Batched: written about a second later, so right after the ack the database still has the older contact.
    assert.equal((await seenAt())?.getTime() ?? 0, before, "not written yet");
    await cp.plane.hub.drain();
    const after = (await seenAt())?.getTime() ?? 0;
    assert.ok(after >= reportedAt, `lastSeenAt ${after} is the report's (${reportedAt}), written by drain`);
  });
});
