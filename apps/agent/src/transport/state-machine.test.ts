import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConnectionEvent, type ConnectionState, nextState } from "./state-machine.ts";

test("the normal life of a connection", () => {
  const walk: Array<[ConnectionEvent, string]> = [
    ["start", "connecting"],
    ["connect_failed", "backing_off"],
    ["retry", "connecting"],
    ["connected", "online"],
    ["disconnected", "backing_off"],
    ["retry", "connecting"],
    ["connected", "online"],
    ["stop", "offline"],
  ];
  let state: ConnectionState = "offline";
  for (const [event, expected] of walk) {
    const next = nextState(state, event);
    assert.equal(next, expected, `${state} --${event}-->`);
    if (next) state = next;
  }
});

test("stop works from every running state; offline only starts", () => {
  for (const s of ["connecting", "online", "backing_off"] as const) assert.equal(nextState(s, "stop"), "offline");
  assert.equal(nextState("offline", "stop"), null);
  assert.equal(nextState("offline", "connected"), null);
});

test("late events are refused rather than corrupting the state", () => {
  assert.equal(nextState("backing_off", "connected"), null); // a stale socket's connect
  assert.equal(nextState("online", "connect_failed"), null);
  assert.equal(nextState("online", "retry"), null);
  assert.equal(nextState("connecting", "disconnected"), null);
});
