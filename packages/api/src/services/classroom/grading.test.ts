import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  applyLatePolicy,
  checkTargets,
  DAY_MS,
  daysLate,
  effectiveGrade,
  gradeSubmission,
  scoreOf,
  type ValidityInput,
  validity,
} from "./grading.ts";

const t0 = new Date("2026-03-02T09:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

/** A run that qualifies: started on the checked-in device, inside the session and the check-in, signed. */
function ok(): ValidityInput {
  return {
    classId: "class-1",
    run: { deviceId: "dev-1", createdAt: at(30 * 60_000), sessionId: "s-1", signatureValid: true },
    session: { classId: "class-1", startedAt: t0, endedAt: null },
    checkIn: { deviceId: "dev-1", checkedInAt: at(5 * 60_000), checkedOutAt: null },
  };
}

describe("grading: targets", () => {
  test("each target is compared on the right side of its limit, inclusive", () => {
    const checks = checkTargets(
      { accuracyMin: 0.9, p95MsMax: 20, energyJMax: 0.5 },
      { accuracy: 0.9, p95Ms: 20.01, energyJPerInference: 0.5 },
    );
    assert.deepEqual(
      checks.map((c) => [c.target, c.passed, c.value]),
      [
        ["accuracyMin", true, 0.9],
        ["p95MsMax", false, 20.01],
        ["energyJMax", true, 0.5],
      ],
    );
    assert.equal(Math.round(scoreOf(checks) * 100) / 100, 66.67);
    const low = checkTargets({ accuracyMin: 0.9 }, { accuracy: 0.89, p95Ms: 1, energyJPerInference: null });
    assert.equal(low[0]?.passed, false);
    assert.equal(low.length, 1, "only the targets set are checked");
  });

  test("a device without a power reading misses the energy target, with the reason", () => {
    const [energy] = checkTargets({ energyJMax: 1 }, { accuracy: null, p95Ms: 5, energyJPerInference: null });
    assert.equal(energy?.passed, false);
    assert.equal(energy?.reason, "this device does not report power");
    const [acc] = checkTargets({ accuracyMin: 0.1 }, { accuracy: null, p95Ms: 5, energyJPerInference: null });
    assert.equal(acc?.passed, false);
    assert.match(acc?.reason ?? "", /no accuracy/);
  });
});

describe("grading: validity", () => {
  test("a run on the checked-in device during the session with a valid signature is valid", () => {
    assert.deepEqual(validity(ok()), { valid: true });
  });

  test("an invalid or missing signature", () => {
    for (const signatureValid of [false, null]) {
      const v = validity({ ...ok(), run: { ...ok().run, signatureValid } });
      assert.deepEqual(v, { valid: false, reason: "the result's signature is not valid" });
    }
  });

  test("another device than the one checked in to", () => {
    const v = validity({ ...ok(), run: { ...ok().run, deviceId: "dev-2" } });
    assert.equal(v.valid, false);
    assert.match(v.valid ? "" : v.reason, /device you were checked in to/);
  });

  test("outside a session, in another class's session, before it started or after it ended", () => {
    const cases: Array<[ValidityInput, RegExp]> = [
      [{ ...ok(), run: { ...ok().run, sessionId: null }, session: null }, /not made during a lab session/],
      [{ ...ok(), session: { classId: "class-2", startedAt: t0, endedAt: null } }, /another class/],
      [{ ...ok(), session: { classId: "class-1", startedAt: null, endedAt: null } }, /while the session was running/],
      [{ ...ok(), session: { classId: "class-1", startedAt: t0, endedAt: at(60_000) } }, /while the session/],
      [{ ...ok(), run: { ...ok().run, createdAt: at(-1) } }, /while the session/],
    ];
    for (const [input, reason] of cases) {
      const v = validity(input);
      assert.equal(v.valid, false);
      assert.match(v.valid ? "" : v.reason, reason);
    }
  });

  test("not checked in, or the run started before the check-in or after the check-out", () => {
    const cases: Array<[ValidityInput, RegExp]> = [
      [{ ...ok(), checkIn: null }, /not checked in/],
      [{ ...ok(), checkIn: { deviceId: "dev-1", checkedInAt: at(31 * 60_000), checkedOutAt: null } }, /checked in/],
      [{ ...ok(), checkIn: { deviceId: "dev-1", checkedInAt: t0, checkedOutAt: at(29 * 60_000) } }, /checked in/],
    ];
    for (const [input, reason] of cases) {
      const v = validity(input);
      assert.equal(v.valid, false);
      assert.match(v.valid ? "" : v.reason, reason);
    }
  });
});

describe("grading: late policies", () => {
  test("days late count started days", () => {
    assert.equal(daysLate(t0, t0), 0);
    assert.equal(daysLate(at(-1), t0), 0);
    assert.equal(daysLate(at(1), t0), 1);
    assert.equal(daysLate(at(DAY_MS), t0), 1);
    assert.equal(daysLate(at(DAY_MS + 1), t0), 2);
  });

  test("accept, reject, penalty per day up to maxDays", () => {
    assert.deepEqual(applyLatePolicy(80, 3, { kind: "accept" }), { refused: false, score: 80 });
    assert.deepEqual(applyLatePolicy(80, 0, { kind: "reject" }), { refused: false, score: 80 });
    assert.deepEqual(applyLatePolicy(80, 1, { kind: "reject" }), { refused: true });
    const penalty = { kind: "penalty", percentPerDay: 15, maxDays: 2 } as const;
    assert.deepEqual(applyLatePolicy(80, 1, penalty), { refused: false, score: 65 });
    assert.deepEqual(applyLatePolicy(80, 2, penalty), { refused: false, score: 50 });
    assert.deepEqual(applyLatePolicy(80, 3, penalty), { refused: true });
    assert.deepEqual(applyLatePolicy(20, 2, penalty), { refused: false, score: 0 }, "never below zero");
    assert.deepEqual(applyLatePolicy(20, 1, { kind: "penalty", percentPerDay: 5, maxDays: 0 }), { refused: true });
  });

  test("the whole grade: invalid scores 0 but shows its checks; late is refused or penalised", () => {
    const base = {
      ...ok(),
      targets: { accuracyMin: 0.5, p95MsMax: 10 },
      measures: { accuracy: 0.8, p95Ms: 12, energyJPerInference: null },
      dueAt: at(DAY_MS),
      latePolicy: { kind: "penalty", percentPerDay: 10, maxDays: 1 } as const,
      submittedAt: at(60 * 60_000),
    };
    const g = gradeSubmission(base);
    assert.ok(!g.refused);
    assert.equal(g.autoScore, 50);
    assert.equal(g.valid, true);
    assert.equal(g.daysLate, 0);

    const invalid = gradeSubmission({ ...base, run: { ...base.run, signatureValid: false } });
    assert.ok(!invalid.refused);
    assert.equal(invalid.autoScore, 0);
    assert.equal(invalid.valid, false);
    assert.match(invalid.invalidReason ?? "", /signature/);
    assert.equal(invalid.checks.length, 2);

    const late = gradeSubmission({ ...base, submittedAt: at(DAY_MS + 5_000) });
    assert.ok(!late.refused);
    assert.equal(late.daysLate, 1);
    assert.equal(late.autoScore, 40);
    assert.deepEqual(gradeSubmission({ ...base, submittedAt: at(2 * DAY_MS + 5_000) }), {
      refused: true,
      reason: "past the due date",
    });
  });
});

describe("grading: the grade that counts", () => {
  test("the newest override, else the automatic score", () => {
    assert.deepEqual(effectiveGrade({ autoScore: 50, overrides: [] }), { score: 50, overridden: false });
    assert.deepEqual(
      effectiveGrade({
        autoScore: 50,
        overrides: [
          { score: 70, createdAt: at(2) },
          { score: 90, createdAt: at(5) },
          { score: 10, createdAt: at(1) },
        ],
      }),
      { score: 90, overridden: true },
    );
  });
});
