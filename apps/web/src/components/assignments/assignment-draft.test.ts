import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runSpecSchema } from "@labfleet/protocol";
import {
  type AssignmentDraft,
  type AssignmentView,
  draftFromAssignment,
  emptyDraft,
  parseDraft,
  previewTargets,
} from "./assignment-draft.ts";

function filled(patch: Partial<AssignmentDraft> = {}): AssignmentDraft {
  return {
    ...emptyDraft(new Date("2026-03-01T10:00:00")),
    title: "Fast",
    versionIds: ["v1", "v2"],
    p95MsMax: "20",
    accuracyMinPct: "85",
    energyMJMax: "2.5",
    ...patch,
  };
}

describe("assignment form", () => {
  it("builds an input the server accepts: units converted, empty bounds left out", () => {
    const { fields, error } = parseDraft(filled({ batchMin: "", batchMax: "" }));
    assert.equal(error, null);
    assert.ok(fields);
    assert.deepEqual(fields.targets, { accuracyMin: 0.85, p95MsMax: 20, energyJMax: 0.0025 });
    assert.deepEqual(fields.bounds, { threads: { min: 1, max: 4 } });
    assert.equal(runSpecSchema.safeParse(fields.baseSpec).success, true);
    assert.equal(fields.latePolicy.kind, "accept");
    assert.equal(fields.dueAt.getDate(), 8, "due a week later by default");
  });

  it("says what is wrong, one problem at a time", () => {
    const cases: Array<[Partial<AssignmentDraft>, RegExp]> = [
      [{ title: " " }, /title/],
      [{ versionIds: [] }, /at least one model/],
      [{ threadsMin: "5", threadsMax: "2" }, /minimum is above/],
      [{ threadsMin: "1", threadsMax: "" }, /both limits/],
      [{ batchMin: "0", batchMax: "4" }, /Batch size/],
      [{ accuracyMinPct: "", p95MsMax: "", energyMJMax: "" }, /at least one target/],
      [{ accuracyMinPct: "120" }, /Accuracy/],
      [{ p95MsMax: "0" }, /p95/],
      [{ lateKind: "penalty", percentPerDay: "150" }, /penalty/],
      [{ lateKind: "penalty", maxDays: "1.5" }, /late days/],
      [{ dueAt: "" }, /due date/],
    ];
    for (const [patch, message] of cases) {
      const { fields, error } = parseDraft(filled(patch));
      assert.equal(fields, null, JSON.stringify(patch));
      assert.match(error ?? "", message);
    }
    const spec = { ...filled().spec, threads: "8" };
    assert.match(parseDraft(filled({ spec })).error ?? "", /outside the threads bounds/);
  });

  it("an assignment read back into the form gives the same input", () => {
    const { fields } = parseDraft(filled({ lateKind: "penalty", percentPerDay: "5", maxDays: "2" }));
    assert.ok(fields);
    const view: AssignmentView = {
      id: "a1",
      classId: "c1",
      title: fields.title,
      instructions: fields.instructions,
      kind: fields.kind,
      versions: fields.versionIds.map((id) => ({ id, variant: id, model: { id: "m", name: "M" } })),
      baseSpec: runSpecSchema.parse(fields.baseSpec),
      bounds: fields.bounds,
      targets: fields.targets,
      dueAt: fields.dueAt,
      latePolicy: fields.latePolicy,
      publishedAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const again = parseDraft(draftFromAssignment(view));
    assert.deepEqual(again.fields?.targets, fields.targets);
    assert.deepEqual(again.fields?.bounds, fields.bounds);
    assert.deepEqual(again.fields?.latePolicy, { kind: "penalty", percentPerDay: 5, maxDays: 2 });
    assert.equal(again.fields?.dueAt.getTime(), fields.dueAt.getTime());
  });

  it("previews targets as the server grades them: inclusive limits, a missing value is a miss", () => {
    const checks = previewTargets(
      { accuracyMin: 0.8, p95MsMax: 20, energyJMax: 0.01 },
      { accuracy: 0.8, p95Ms: 20, energyJPerInference: null },
    );
    assert.deepEqual(
      checks.map((c) => [c.target, c.passed]),
      [
        ["accuracyMin", true],
        ["p95MsMax", true],
        ["energyJMax", false],
      ],
    );
  });
});
