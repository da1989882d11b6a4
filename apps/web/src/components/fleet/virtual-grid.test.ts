import assert from "node:assert/strict";
import { test } from "node:test";
import type { DeviceSummary } from "@labfleet/protocol";
import { type GridGeometry, orderFleet, visibleWindow } from "./virtual-grid.ts";

const base: GridGeometry = { count: 1000, columns: 4, stride: 200, listTop: 100, viewportHeight: 1000, overscan: 0 };

test("at the top, only the rows that meet the viewport are rendered and the rest is padding", () => {
  // Rows 0..4 meet y ∈ [0, 900] (the list starts 100 px down): 5 rows of 4.
  const w = visibleWindow(base);
  assert.deepEqual(w, { start: 0, end: 20, padTop: 0, padBottom: (250 - 5) * 200 });
});

test("scrolled into the middle, the window follows and padding keeps the total height", () => {
  const w = visibleWindow({ ...base, listTop: -10_050, overscan: 400 });
  // y from 9,650 to 11,450: rows 48..57.
  assert.equal(w.start, 48 * 4);
  assert.equal(w.end, 58 * 4);
  assert.equal(w.padTop, 48 * 200);
  assert.equal(w.padTop + ((w.end - w.start) / 4) * 200 + w.padBottom, 250 * 200);
});

test("at the bottom, a partial last row is rendered whole and nothing runs past the list", () => {
  const w = visibleWindow({ ...base, count: 1002, listTop: -60_000 });
  assert.equal(w.end, 1002);
  assert.equal(w.padBottom, 0);
  assert.equal(w.start % 4, 0);
});

test("scrolled far past the list, the last row stays rendered rather than an empty range", () => {
  const w = visibleWindow({ ...base, count: 10, listTop: -1_000_000 });
  assert.deepEqual(w, { start: 8, end: 10, padTop: 2 * 200, padBottom: 0 });
});

test("an empty list and a zero-column read give sane windows", () => {
  assert.deepEqual(visibleWindow({ ...base, count: 0 }), { start: 0, end: 0, padTop: 0, padBottom: 0 });
  const w = visibleWindow({ ...base, columns: 0, count: 3 });
  assert.equal(w.end, 3);
});

function device(id: string, name: string, status: DeviceSummary["status"] = "online", cpu = 1): DeviceSummary {
  return {
    id,
    name,
    hostname: name,
    labId: null,
    status,
    lastSeenAt: cpu,
    simulated: true,
    latest: null,
  };
}

function fleet(list: DeviceSummary[]): Map<string, DeviceSummary> {
  return new Map(list.map((d) => [d.id, d]));
}

test("the fleet is in seat order, numbers as numbers, revoked last", () => {
  const { list } = orderFleet(
    fleet([device("a", "pc-10"), device("b", "pc-2"), device("c", "pc-1", "revoked"), device("d", "pc-3")]),
    null,
  );
  assert.deepEqual(
    list.map((d) => d.name),
    ["pc-2", "pc-3", "pc-10", "pc-1"],
  );
});

test("an update that changes only numbers reuses the order but returns the new summaries", () => {
  const first = orderFleet(fleet([device("a", "pc-2"), device("b", "pc-1")]), null);
  const updated = device("a", "pc-2", "online", 99);
  const second = orderFleet(fleet([updated, device("b", "pc-1")]), first.order);
  assert.equal(second.order, first.order);
  assert.equal(second.list[1], updated);
});

test("a rename, a revocation, an addition or a removal re-sorts", () => {
  const first = orderFleet(fleet([device("a", "pc-1"), device("b", "pc-2")]), null);
  const renamed = orderFleet(fleet([device("a", "pc-9"), device("b", "pc-2")]), first.order);
  assert.deepEqual(
    renamed.list.map((d) => d.id),
    ["b", "a"],
  );
  const revoked = orderFleet(fleet([device("a", "pc-1", "revoked"), device("b", "pc-2")]), first.order);
  assert.deepEqual(
    revoked.list.map((d) => d.id),
    ["b", "a"],
  );
  const added = orderFleet(fleet([device("a", "pc-1"), device("b", "pc-2"), device("c", "pc-0")]), first.order);
  assert.deepEqual(
    added.list.map((d) => d.id),
    ["c", "a", "b"],
  );
  const swapped = orderFleet(fleet([device("a", "pc-1"), device("z", "pc-0")]), first.order);
  assert.deepEqual(
    swapped.list.map((d) => d.id),
    ["z", "a"],
  );
});
