import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WireError } from "@labfleet/protocol";
import { EXIT } from "../exit-codes.ts";
import { startAgent, startServer, stopAfterEach, waitFor } from "../testing/agent-server.ts";
import { classifyConnectError } from "./connect-error.ts";

stopAfterEach();

const BUSY: WireError = { code: "BUSY", message: "The server is busy accepting other devices; try again shortly." };

describe("AgentConnection when the server answers BUSY", () => {
  test("a BUSY handshake refusal is retried with the backoff, unlike a credential refusal", async () => {
    const busyErr = Object.assign(new Error("BUSY"), { data: BUSY });
    assert.equal(classifyConnectError(busyErr).fatalExitCode, null);
    const revoked = Object.assign(new Error("DEVICE_REVOKED"), { data: { code: "DEVICE_REVOKED", message: "r" } });
    assert.equal(classifyConnectError(revoked).fatalExitCode, EXIT.CREDENTIAL_REFUSED);

    // A real server that refuses every handshake with BUSY, then one that takes the device on the same port.
    const busy = await startServer({ refuse: BUSY });
    const { agent, lines, states } = startAgent(busy.url);
    const retries = () => lines.filter((l) => l.msg === "cannot connect to the server; retrying");
    await waitFor("two refused attempts", () => retries().length >= 2);
    assert.ok(retries().every((l) => l.code === "BUSY"));
    assert.equal(
      lines.some((l) => l.msg === "the server refused this agent"),
      false,
      "not treated as final",
    );
    assert.equal(states.at(-1)?.lastError?.code, "BUSY");
    await busy.close();
    const port = busy.port;
    const server = await startServer({ port });
    await waitFor("online once the server accepts", () => agent.currentState === "online", 5_000);
    await waitFor("telemetry", () => server.reports.length >= 1);
  });

  test("after a BUSY ack the agent pauses (jittered, bounded), warns once, then sends the held samples", {
    timeout: 20_000,
  }, async () => {
    const REFUSED = 4;
    const server = await startServer({
      telemetryIntervalMs: 250,
      telemetryAck: (n) => (n <= REFUSED ? { ok: false, error: BUSY } : { ok: true, data: { stored: 1 } }),
    });
    const { buffer, lines } = startAgent(server.url, {
      busyBackoff: { baseMs: 800, maxMs: 800 },
      random: () => 0,
    });
    await waitFor("every refusal and then accepted reports", () => server.reports.length >= REFUSED + 3, 15_000);
    const at = server.reports.map((r) => r.at);
    // Each refusal is followed by a pause of at least 400 ms (half of the 800 ms cap, with random() = 0): longer
    // than the 250 ms report interval, and an agent that resent at once would do so within a few ms.
    // Reports already on the wire when a refusal came back arrive within a few ms of it; nothing is sent after.
    for (let i = 0; i < REFUSED; i++) {
      const refusedAt = at[i] ?? 0;
      const during = at.filter((t) => t > refusedAt + 50 && t < refusedAt + 380);
      assert.deepEqual(during, [], `nothing sent in the pause after refusal ${i + 1}`);
    }
    const resumedAfter = (at[REFUSED] ?? 0) - (at[REFUSED - 1] ?? 0);
    assert.ok(resumedAfter < 2_000, `the pause is bounded (${resumedAfter} ms)`);
    const warnings = lines.filter((l) => l.msg === "the server is busy; pausing reports");
    assert.equal(warnings.length, 1, "one warning for the whole outage");
    await waitFor("the recovery notice", () => lines.some((l) => l.msg === "the server accepts reports again"));
    assert.equal(lines.find((l) => l.msg === "the server accepts reports again")?.refusals, REFUSED);
    // The samples taken during the pauses went afterwards, together; none was lost.
    const accepted = server.reports.slice(REFUSED).flatMap((r) => r.report.samples);
    assert.ok(
      server.reports.slice(REFUSED).some((r) => r.report.samples.length > 1),
      "held samples go as a batch",
    );
    const refusedUptimes = server.reports.slice(0, REFUSED).flatMap((r) => r.report.samples.map((s) => s.uptimeS));
    const acceptedUptimes = new Set(accepted.map((s) => s.uptimeS));
    for (const u of refusedUptimes) assert.ok(acceptedUptimes.has(u), `refused sample ${u} was sent again`);
    await waitFor("the buffer to drain", () => buffer.stats().telemetry <= 1);
  });
});
