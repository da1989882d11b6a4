import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TelemetryReportInput, WireError } from "@labfleet/protocol";
import { startAgent, startServer, stopAfterEach, waitFor } from "../testing/agent-server.ts";

stopAfterEach();

const BUSY: WireError = { code: "BUSY", message: "The server is still storing this device's earlier samples." };
const BAD: WireError = { code: "BAD_REQUEST", message: "Invalid samples.0.cpuLoadPct" };
const uptimes = (reports: Array<{ report: TelemetryReportInput }>) =>
  reports.flatMap((r) => r.report.samples.map((s) => s.uptimeS ?? null));

describe("the live lane where the server confirms pushes together", () => {
  test("samples go as pushes, confirmed a few at a time, and leave the buffer only then", async () => {
    const server = await startServer({ telemetryIntervalMs: 250, pushConfirmMs: 1000 });
    const { buffer } = startAgent(server.url);
    await waitFor("ten pushes", () => server.pushes.length >= 10);
    // Unconfirmed samples stay in the buffer (a crash now loses nothing).
    const before = server.confirmations.length;
    await waitFor("two confirmations", () => server.confirmations.length >= before + 2, 3_000);
    // Only what was taken before the connection's first config (buffered as offline) goes as a report.
    const firstPushed = server.pushes[0]?.report.samples[0]?.uptimeS ?? 0;
    const reported = uptimes(server.reports);
    assert.ok(
      reported.every((u) => (u ?? 0) < firstPushed),
      `live samples went as pushes only (reported ${reported}, first push ${firstPushed})`,
    );
    assert.ok(
      server.confirmations.length < server.pushes.length / 2,
      `${server.confirmations.length} confirmations for ${server.pushes.length} pushes`,
    );
    const confirmedUpTo = server.confirmations.at(-1)?.upTo ?? 0;
    await waitFor("the buffer to hold only what is unconfirmed", () => {
      const held = buffer.stats().telemetry;
      return held <= server.pushes.length - confirmedUpTo + 1;
    });
  });

  test("a push refused BUSY pauses the lane; its sample goes again later with the held ones", {
    timeout: 20_000,
  }, async () => {
    const server = await startServer({
      telemetryIntervalMs: 250,
      pushConfirmMs: 200,
      pushRefusal: (n) => (n === 3 ? BUSY : null),
    });
    const { buffer, lines } = startAgent(server.url, { busyBackoff: { baseMs: 800, maxMs: 800 }, random: () => 0 });
    await waitFor("the refusal", () => server.pushes.length >= 3);
    const refused = server.pushes[2];
    assert.ok(refused);
    const refusedUptime = refused.report.samples[0]?.uptimeS ?? null;
    await waitFor("reports after the pause", () => server.reports.length >= 1 || server.pushes.length >= 8, 5_000);
    // During the pause (≥ 400 ms here) nothing is pushed; pushes already on the wire arrive within a few ms.
    const during = server.pushes.filter((p) => p.at > refused.at + 50 && p.at < refused.at + 380);
    assert.deepEqual(during, [], "nothing pushed during the pause");
    await waitFor("the refused sample sent again", () =>
      uptimes([...server.reports, ...server.pushes.slice(3)]).includes(refusedUptime),
    );
    assert.equal(lines.filter((l) => l.msg === "the server is busy; pausing reports").length, 1);
    await waitFor("the recovery notice", () => lines.some((l) => l.msg === "the server accepts reports again"));
    await waitFor("the buffer to drain", () => buffer.stats().telemetry <= 3);
  });

  test("a push refused for good is dropped, not sent again; the others are stored", async () => {
    const server = await startServer({
      telemetryIntervalMs: 250,
      pushConfirmMs: 200,
      pushRefusal: (n) => (n === 2 ? BAD : null),
    });
    const { buffer, lines } = startAgent(server.url);
    await waitFor("eight pushes", () => server.pushes.length >= 8);
    const dropped = server.pushes[1]?.report.samples[0]?.uptimeS ?? null;
    await waitFor("confirmations past the refusal", () => (server.confirmations.at(-1)?.upTo ?? 0) >= 4);
    assert.ok(lines.some((l) => l.msg === "the server refused records that a resend cannot fix; dropped them"));
    const sentAgain = uptimes([...server.reports, ...server.pushes.slice(2)]).filter((u) => u === dropped);
    assert.deepEqual(sentAgain, [], "the refused sample is not sent again");
    await waitFor("the buffer to drain", () => buffer.stats().telemetry <= 4);
  });

  test("pushes never confirmed are sent again as reports after the ack timeout", { timeout: 20_000 }, async () => {
    const server = await startServer({ telemetryIntervalMs: 250, pushConfirmMs: 200, pushSilent: true });
    const { lines } = startAgent(server.url, { ackTimeoutMs: 600 });
    await waitFor("a push", () => server.pushes.length >= 1);
    const first = server.pushes[0]?.report.samples[0]?.uptimeS ?? null;
    await waitFor("the warning", () => lines.some((l) => l.msg === "live samples not confirmed; will resend"), 5_000);
    await waitFor("the first sample again, as a report", () => uptimes(server.reports).includes(first), 5_000);
    const firstAgainAt = server.reports.find((r) => uptimes([r]).includes(first))?.at ?? 0;
    assert.ok(
      firstAgainAt - (server.pushes[0]?.at ?? 0) >= 700,
      "not before the ack timeout plus the confirmation interval",
    );
  });
});
