import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DirtyBatch, groupByRooms } from "./summary-batch.ts";

describe("DirtyBatch", () => {
  test("sends each key once per interval with its last value, and re-arms on the next mark", async () => {
    const sent: string[][] = [];
    const batch = new DirtyBatch<string>(30, (items) => sent.push(items));
    batch.mark("a", "a1");
    batch.mark("b", "b1");
    batch.mark("a", "a2");
    batch.mark("c", "c1");
    batch.drop("c");
    assert.deepEqual(sent, [], "nothing before the interval");
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(sent, [["a2", "b1"]]);
    batch.mark("b", "b2");
    batch.flush();
    assert.deepEqual(sent, [["a2", "b1"], ["b2"]], "flush sends at once");
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(sent.length, 2, "the flushed item does not go twice");
  });
});

describe("groupByRooms", () => {
  test("items with the same rooms share a group; an item never joins a group with other rooms", () => {
    const groups = groupByRooms([
      { rooms: ["fleet", "lab:1", "fleet:lab:1"], item: "d1" },
      { rooms: ["fleet", "lab:2", "fleet:lab:2"], item: "d2" },
      { rooms: ["fleet", "lab:1", "fleet:lab:1"], item: "d3" },
      { rooms: ["fleet", "device:d4", "lab:1", "fleet:lab:1"], item: "d4" },
    ]);
    assert.deepEqual(groups, [
      { rooms: ["fleet", "lab:1", "fleet:lab:1"], items: ["d1", "d3"] },
      { rooms: ["fleet", "lab:2", "fleet:lab:2"], items: ["d2"] },
      { rooms: ["fleet", "device:d4", "lab:1", "fleet:lab:1"], items: ["d4"] },
    ]);
  });
});
