import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inventorySchema, telemetryReportSchema } from "@labfleet/protocol";
import { EXIT } from "../exit-codes.ts";
import {
  fakeSampler,
  SECRET,
  sampleAt,
  startAgent,
  startServer,
  stopAfterEach,
  waitFor,
} from "../testing/agent-server.ts";

stopAfterEach();

describe("AgentConnection against a real socket.io server: reporting", () => {
  test("connects, reports a valid inventory, streams valid telemetry at the pushed interval, stops cleanly", async () => {
    const server = await startServer({ telemetryIntervalMs: 250 });
    const { agent, done, states, lines, text } = startAgent(server.url);
    await waitFor("three telemetry reports", () => server.reports.length >= 3);

    assert.equal(agent.currentState, "online");
    assert.equal(server.inventories.length, 1);
    assert.ok(inventorySchema.safeParse(server.inventories[0]).success);
    for (const { report } of server.reports) assert.ok(telemetryReportSchema.safeParse(report).success);
    const gap = (server.reports[2]?.at ?? 0) - (server.reports[1]?.at ?? 0);
    assert.ok(gap >= 180 && gap < 1_000, `reports ${gap} ms apart at a 250 ms interval`);

    assert.equal(await agent.stop(), EXIT.OK);
    assert.equal(await done, EXIT.OK);
    assert.deepEqual(
      states.map((s) => s.state),
      ["connecting", "online", "offline"],
    );
    assert.ok(states.every((s) => s.deviceId === "dev_1" && s.server === server.url && s.pid === process.pid));
    assert.ok(lines.some((l) => l.msg === "inventory reported"));
    assert.ok(!text().includes(SECRET), "the secret never reaches the log");
    await waitFor("the server to see the disconnect", () => server.sockets.every((s) => s.disconnected));
  });

  test("the interval the server pushes applies at once (10 s default -> 250 ms)", async () => {
    const server = await startServer({ telemetryIntervalMs: 10_000 });
    const { agent } = startAgent(server.url);
    await waitFor("the first report", () => server.reports.length >= 1);
    assert.equal(agent.telemetryIntervalMs, 10_000);
    for (const s of server.sockets) s.emit("config:updated", { telemetryIntervalMs: 250 });
    await waitFor("two more reports within a second", () => server.reports.length >= 3, 1_500);
    assert.equal(agent.telemetryIntervalMs, 250);
  });

  test("an invalid config:updated is ignored and logged", async () => {
    const server = await startServer({ telemetryIntervalMs: 250 });
    const { agent, lines } = startAgent(server.url);
    await waitFor("online", () => server.reports.length >= 1);
    for (const s of server.sockets) s.emit("config:updated", { telemetryIntervalMs: 1 });
    await waitFor("the warning", () =>
      lines.some((l) => l.msg === "ignored an invalid config:updated from the server"),
    );
    assert.equal(agent.telemetryIntervalMs, 250);
  });

  test("a final refusal (PAYLOAD_TOO_LARGE) is logged with its code, dropped, and the agent carries on", async () => {
    const server = await startServer({
      telemetryAck: (n) =>
        n === 1
          ? { ok: false, error: { code: "PAYLOAD_TOO_LARGE", message: "too big" } }
          : { ok: true, data: { stored: 1 } },
    });
    const { agent, lines, buffer } = startAgent(server.url);
    await waitFor("two reports after the refused one", () => server.reports.length >= 3);
    const refused = lines.find((l) => l.msg === "the server refused records that a resend cannot fix; dropped them");
    assert.equal(refused?.code, "PAYLOAD_TOO_LARGE");
    assert.equal(agent.currentState, "online");
    const first = server.reports[0]?.report.samples[0]?.ts;
    const resent = server.reports.slice(1).filter((r) => r.report.samples.some((x) => x.ts === first));
    assert.equal(resent.length, 0, "a refused record is not sent again");
    await waitFor("the buffer to empty", () => buffer.stats().telemetry === 0);
  });

  test("a transient refusal (INTERNAL) keeps the sample in the buffer and it is sent again", async () => {
    const server = await startServer({
      telemetryAck: (n) =>
        n === 1 ? { ok: false, error: { code: "INTERNAL", message: "db busy" } } : { ok: true, data: { stored: 1 } },
    });
    startAgent(server.url);
    await waitFor("the refused sample sent again", () => {
      const first = server.reports[0]?.report.samples[0]?.ts;
      return server.reports.slice(1).some((r) => r.report.samples.some((x) => x.ts === first));
    });
  });

  test("a sampler that throws, or a sample that fails the schema, is logged and not sent", async () => {
    const server = await startServer();
    const { lines } = startAgent(server.url, {
      sampler: fakeSampler((n) => {
        if (n === 1) throw new Error("EIO reading /proc/stat");
        if (n === 2) return { ...sampleAt(n), cpuLoadPct: 150 };
        return sampleAt(n);
      }),
    });
    await waitFor("a good report after two bad samples", () => server.reports.length >= 1);
    assert.equal(server.reports[0]?.report.samples[0]?.uptimeS, 103);
    assert.ok(lines.some((l) => l.msg === "cannot take a telemetry sample"));
    assert.ok(lines.some((l) => l.msg === "a sample failed validation; not sent"));
  });

  for (const [code, exit] of [
    ["BAD_CREDENTIAL", EXIT.CREDENTIAL_REFUSED],
    ["DEVICE_REVOKED", EXIT.CREDENTIAL_REFUSED],
    ["PROTOCOL_MISMATCH", EXIT.PROTOCOL_MISMATCH],
  ] as const) {
    test(`refused at the handshake with ${code}: exit ${exit}, no retry`, async () => {
      const server = await startServer({ refuse: { code, message: `refused: ${code}` } });
      const { done, states, lines } = startAgent(server.url);
      assert.equal(await done, exit);
      assert.deepEqual(
        states.map((s) => s.state),
        ["connecting", "offline"],
      );
      assert.deepEqual(
        states.at(-1)?.lastError && {
          code: states.at(-1)?.lastError?.code,
          message: states.at(-1)?.lastError?.message,
        },
        {
          code,
          message: `refused: ${code}`,
        },
      );
      const logged = lines.find((l) => l.msg === "the server refused this agent");
      assert.equal(logged?.code, code);
    });
  }

  test("another coded refusal (INTERNAL) is retried", async () => {
    const server = await startServer({ refuse: { code: "INTERNAL", message: "db down" } });
    const { agent, states } = startAgent(server.url);
    await waitFor("two attempts", () => states.filter((s) => s.state === "backing_off").length >= 2);
    assert.equal(states.at(-1)?.lastError?.code, "INTERNAL");
    assert.equal(await agent.stop(), EXIT.OK);
  });
});
