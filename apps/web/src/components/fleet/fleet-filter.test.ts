import assert from "node:assert/strict";
import { test } from "node:test";
import { type DeviceSummary, telemetrySampleSchema } from "@labfleet/protocol";
import { EMPTY_FILTER, type FleetRow, filterAndSort } from "./fleet-filter.ts";

function row(
  name: string,
  opts: {
    labId?: string | null;
    status?: DeviceSummary["status"];
    temp?: number | null;
    tags?: string[];
    npu?: boolean;
  },
): FleetRow {
  const latest = telemetrySampleSchema.parse({
    ts: Date.UTC(2026, 0, 1),
    cpuLoadPct: 10,
    cpuPerCorePct: [],
    loadAvg1: null,
    memTotalBytes: 8,
    memUsedBytes: 4,
    memAvailableBytes: 4,
    cpuTempC: opts.temp ?? null,
    uptimeS: null,
  });
  return {
    device: {
      id: name,
      name,
      hostname: `host-${name}`,
      labId: opts.labId ?? null,
      status: opts.status ?? "online",
      lastSeenAt: null,
      simulated: false,
      latest,
    },
    attrs: { tags: opts.tags ?? [], hasGpu: false, hasNpu: opts.npu ?? false, labName: null, seatLabel: null },
  };
}

const rows = [
  row("pc-10", { labId: "a", temp: 70, tags: ["front"] }),
  row("pc-2", { labId: "a", temp: null, npu: true }),
  row("pc-1", { labId: "b", status: "offline", temp: 40 }),
  row("spare", { temp: 90 }),
];
const names = (r: FleetRow[]) => r.map((x) => x.device.name);

test("filters combine: search on name or hostname, lab (or none), status, tag, hardware", () => {
  const sort = { key: "name", dir: 1 } as const;
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, search: "PC-1" }, sort)), ["pc-1", "pc-10"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, search: "host-sp" }, sort)), ["spare"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, lab: "a" }, sort)), ["pc-2", "pc-10"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, lab: "none" }, sort)), ["spare"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, status: "offline" }, sort)), ["pc-1"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, tag: "front" }, sort)), ["pc-10"]);
  assert.deepEqual(names(filterAndSort(rows, { ...EMPTY_FILTER, hardware: "npu", lab: "a" }, sort)), ["pc-2"]);
});

test("sorting: numbers as numbers, unknown values last in both directions", () => {
  assert.deepEqual(names(filterAndSort(rows, EMPTY_FILTER, { key: "temp", dir: 1 })), [
    "pc-1",
    "pc-10",
    "spare",
    "pc-2",
  ]);
  assert.deepEqual(names(filterAndSort(rows, EMPTY_FILTER, { key: "temp", dir: -1 })), [
    "spare",
    "pc-10",
    "pc-1",
    "pc-2",
  ]);
  assert.deepEqual(names(filterAndSort(rows, EMPTY_FILTER, { key: "name", dir: -1 })), [
    "spare",
    "pc-10",
    "pc-2",
    "pc-1",
  ]);
});
