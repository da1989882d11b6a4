import assert from "node:assert/strict";
import { test } from "node:test";
import { occupantsOf, progressLabel } from "./occupants.ts";
import { localInput, validateSchedule, validateWindow } from "./schedule-validation.ts";

test("a seat shows its student, their run's progress and their place in the help queue", () => {
  const map = occupantsOf(
    [
      { studentName: "Ada", deviceId: "d1", progress: { status: "running", percent: 40 } },
      { studentName: "Bo", deviceId: "d2", progress: { status: "failed", percent: null } },
      { studentName: "Cy", deviceId: "d3", progress: null },
    ],
    [
      { deviceId: "d2", position: 1 },
      { deviceId: null, position: 2 },
      { deviceId: "d1", position: 3 },
    ],
  );
  assert.deepEqual(map.get("d1"), {
    studentName: "Ada",
    handPosition: 3,
    progress: "running 40 %",
    progressTone: "running",
  });
  assert.equal(map.get("d2")?.handPosition, 1);
  assert.equal(map.get("d2")?.progressTone, "failed");
  assert.deepEqual([map.get("d3")?.progress, map.get("d3")?.handPosition], [null, null]);
  assert.equal(map.size, 3, "a hand without a seat marks no seat");
  assert.equal(progressLabel({ status: "running", percent: null }).progress, "running");
  assert.equal(progressLabel({ status: "timed_out", percent: null }).progress, "timed out");
  assert.equal(progressLabel({ status: "succeeded", percent: null }).progressTone, "succeeded");
});

test("the schedule form refuses an end before the start, a missing lab and a title of spaces", () => {
  const ok = {
    title: "Week 1",
    labId: "lab",
    startsAt: "2026-12-01T09:00",
    endsAt: "2026-12-01T10:30",
    assignmentId: "",
    autoStart: false,
  };
  assert.deepEqual(validateSchedule(ok), {});
  assert.match(validateSchedule({ ...ok, endsAt: "2026-12-01T09:00" }).endsAt ?? "", /after the start/);
  assert.match(validateSchedule({ ...ok, endsAt: "2026-12-01T08:00" }).endsAt ?? "", /after the start/);
  assert.match(validateSchedule({ ...ok, endsAt: "2026-12-02T09:01" }).endsAt ?? "", /12 hours/);
  assert.ok(validateSchedule({ ...ok, labId: "" }).labId);
  assert.ok(validateSchedule({ ...ok, title: "   " }).title);
  assert.ok(validateSchedule({ ...ok, startsAt: "" }).startsAt);
});

test("the reschedule form checks the window as scheduling does and starts from the session's own times", () => {
  assert.deepEqual(validateWindow("2026-12-01T09:00", "2026-12-01T21:00"), {});
  assert.match(validateWindow("2026-12-01T09:00", "2026-12-01T09:00").endsAt ?? "", /after the start/);
  assert.match(validateWindow("2026-12-01T09:00", "2026-12-01T21:01").endsAt ?? "", /12 hours/);
  assert.deepEqual(Object.keys(validateWindow("", "2026-12-01T10:00")), ["startsAt"]);
  assert.ok(validateWindow("2026-12-01T09:00", "not a time").endsAt);
  // What the form shows is what it sends back: a round trip through the input's value keeps the minute.
  const at = new Date(2026, 11, 1, 9, 5);
  assert.equal(localInput(at), "2026-12-01T09:05");
  assert.equal(new Date(localInput(at)).getTime(), at.getTime());
});
