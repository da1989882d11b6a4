import assert from "node:assert/strict";
import { test } from "node:test";
import { type DeviceSummary, telemetrySampleSchema } from "@labfleet/protocol";
import { seatState, thermalColour } from "./seat-state.ts";

function device(status: DeviceSummary["status"], cpuTempC: number | null, throttling: boolean | null): DeviceSummary {
  const latest = telemetrySampleSchema.parse({
    ts: Date.UTC(2026, 0, 1),
    cpuLoadPct: 10,
    cpuPerCorePct: [],
    loadAvg1: null,
    memTotalBytes: 1,
    memUsedBytes: 1,
    memAvailableBytes: 0,
    cpuTempC,
    uptimeS: null,
    throttling,
  });
  return { id: "d", name: "d", hostname: "d", labId: "l", status, lastSeenAt: null, simulated: false, latest };
}

test("a seat's state: offline first, then hot at the threshold, then throttling", () => {
  assert.equal(seatState(undefined, 85), "empty");
  assert.equal(seatState(device("offline", 95, true), 85), "offline");
  assert.equal(seatState(device("revoked", null, null), 85), "offline");
  assert.equal(seatState(device("online", 85, true), 85), "hot");
  assert.equal(seatState(device("online", 84.9, true), 85), "throttling");
  assert.equal(seatState(device("online", 70, null), 70), "hot", "the lab's own threshold");
  assert.equal(seatState(device("online", null, false), 85), "online", "no sensor is not hot");
});

test("thermal colours: unknown has none (never cold), the scale runs blue to red", () => {
  assert.equal(thermalColour(null, 85), null);
  assert.equal(thermalColour(20, 85), "hsl(220 80% 55%)");
  assert.equal(thermalColour(85, 85), "hsl(0 80% 55%)");
  assert.equal(thermalColour(99, 85), "hsl(0 80% 55%)");
});
