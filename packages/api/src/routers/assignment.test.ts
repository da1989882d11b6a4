import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Papa from "papaparse";
import {
  assignmentFields,
  checkInRow,
  createClassRows,
  createRoom,
  finishRun,
  type Room,
  rejectsWith,
  startSessionRow,
} from "../services/classroom/assignment-test-kit.ts";
import type { TestAgent, TestDevice } from "../services/runs/test-kit.ts";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";

describe("assignment router: authoring, authorization, overrides, gradebook, CSV, leaderboard", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let outsider: TestUser;
  let room: Room;
  let classId: string;
  let sessionId: string;

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    teacher = await cp.user("instructor");
    otherTeacher = await cp.user("instructor");
    [alice, bob, outsider] = [await cp.user("student"), await cp.user("student"), await cp.user("student")];
    await cp.db.prisma.user.update({ where: { id: alice.id }, data: { username: "alice", name: "Alice Liddell" } });
    // A name that a spreadsheet would run as a formula.
    await cp.db.prisma.user.update({
      where: { id: bob.id },
      data: { username: "bob", name: '=HYPERLINK("http://evil.invalid","Bob")' },
    });
    room = await createRoom(cp, teacher, 2);
    classId = (await createClassRows(cp, { instructors: [teacher], students: [alice, bob] })).id;
    sessionId = (await startSessionRow(cp, classId, room.labId)).id;
    await checkInRow(cp, sessionId, alice.id, (room.devices[0] as TestDevice).id);
    await checkInRow(cp, sessionId, bob.id, (room.devices[1] as TestDevice).id);
  });
  after(async () => {
    for (const a of room.agents) a.close();
    await cp.close();
  });

  /** A published assignment and a submission by `who` with the given measures. */
  async function submitAs(who: TestUser, assignmentId: string, seat: number, p95: number, accuracy: number) {
    const run = await cp.caller(who).assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string });
    await finishRun(room.agents[seat] as TestAgent, room.devices[seat] as TestDevice, run.id, { p95, accuracy });
    return cp.caller(who).assignment.submit({ assignmentId, runId: run.id });
  }

  test("only the class's instructors (and admins) write assignments; inputs are validated", async () => {
    const fields = assignmentFields(room.versionIds);
    await rejectsWith(cp.caller(null).assignment.create({ classId, ...fields }), "UNAUTHORIZED");
    await rejectsWith(cp.caller(alice).assignment.create({ classId, ...fields }), "FORBIDDEN");
    await rejectsWith(cp.caller(otherTeacher).assignment.create({ classId, ...fields }), "NOT_FOUND");
    await rejectsWith(cp.caller(outsider).assignment.create({ classId, ...fields }), "NOT_FOUND");
    const api = cp.caller(teacher);
    // Each one breaks one rule; typed loosely on purpose, since the point is what the wire accepts.
    const bad: Array<Record<string, unknown>> = [
      { bounds: { threads: { min: 4, max: 2 } } },
      { bounds: { batchSize: { min: 1, max: 257 } } },
      { targets: {} },
      { targets: { p95MsMax: 0 } },
      { targets: { accuracyMin: 1.5 } },
      { versionIds: [] },
      { versionIds: Array.from({ length: 9 }, (_, i) => `v${i}`) },
      { instructions: "x".repeat(20_001) },
      { baseSpec: { kind: "evaluation", iterations: 5, threads: 2, batchSize: 1 } },
      { baseSpec: { kind: "benchmark", iterations: 5, threads: 8, batchSize: 1 } },
      { latePolicy: { kind: "penalty", percentPerDay: 101, maxDays: 1 } },
      { title: "  " },
    ];
    for (const b of bad) await rejectsWith(api.assignment.create({ classId, ...fields, ...b } as never), "BAD_REQUEST");
    await rejectsWith(
      api.assignment.create({ classId, ...fields, versionIds: ["no-such-version"] }),
      "BAD_REQUEST",
      /no-such-version/,
    );

    const a = await api.assignment.create({ classId, ...fields });
    assert.deepEqual(
      a.versions.map((v) => v.id),
      room.versionIds,
    );
    assert.equal(a.publishedAt, null);
    assert.deepEqual(a.bounds, fields.bounds);
    assert.equal(a.baseSpec?.iterations, 50);
    const byAdmin = await cp.caller(admin).assignment.update({
      id: a.id,
      ...fields,
      title: "Renamed",
      versionIds: [room.versionIds[1] as string],
    });
    assert.equal(byAdmin.title, "Renamed");
    assert.deepEqual(
      byAdmin.versions.map((v) => v.id),
      [room.versionIds[1]],
    );
    await rejectsWith(cp.caller(alice).assignment.update({ id: a.id, ...fields }), "NOT_FOUND", /does not exist/);
    await rejectsWith(cp.caller(otherTeacher).assignment.publish({ id: a.id }), "NOT_FOUND");
    await cp.caller(teacher).assignment.delete({ id: a.id });
    await rejectsWith(api.assignment.get({ id: a.id }), "NOT_FOUND");
  });

  test("students see published assignments of their own classes only, with their own status", async () => {
    const api = cp.caller(teacher);
    const a = await api.assignment.create({ classId, ...assignmentFields(room.versionIds), title: "Visible" });
    assert.ok(!(await cp.caller(alice).assignment.list({ classId })).some((x) => x.id === a.id));
    await rejectsWith(cp.caller(alice).assignment.get({ id: a.id }), "NOT_FOUND");
    await api.assignment.publish({ id: a.id });
    const listed = (await cp.caller(alice).assignment.list({ classId })).find((x) => x.id === a.id);
    assert.deepEqual(listed?.mine, {
      submitted: false,
      submittedAt: null,
      grade: null,
      valid: null,
      daysLate: 0,
      overridden: false,
    });
    assert.equal(listed?.submittedCount, null);
    assert.equal((await cp.caller(alice).assignment.get({ id: a.id })).title, "Visible");
    await rejectsWith(cp.caller(outsider).assignment.list({ classId }), "NOT_FOUND");
    await rejectsWith(cp.caller(outsider).assignment.get({ id: a.id }), "NOT_FOUND");
    await rejectsWith(cp.caller(otherTeacher).assignment.list({ classId }), "NOT_FOUND");
    await rejectsWith(cp.caller(alice).assignment.unpublish({ id: a.id }), "FORBIDDEN");

    await submitAs(alice, a.id, 0, 10, 0.9);
    const teacherView = (await api.assignment.list({ classId })).find((x) => x.id === a.id);
    assert.equal(teacherView?.submittedCount, 1);
    assert.equal(teacherView?.mine, null);
    const mine = (await cp.caller(alice).assignment.list({ classId })).find((x) => x.id === a.id);
    assert.equal(mine?.mine?.grade, 100);
    await rejectsWith(api.assignment.delete({ id: a.id }), "CONFLICT", /submitted/);
    await api.assignment.unpublish({ id: a.id });
    assert.ok(!(await cp.caller(alice).assignment.list({ classId })).some((x) => x.id === a.id));
  });

  test("override: instructors only, a comment required; the history keeps the automatic grade and every override", async () => {
    const api = cp.caller(teacher);
    const a = await api.assignment.create({ classId, ...assignmentFields(room.versionIds), title: "Override me" });
    await api.assignment.publish({ id: a.id });
    const sub = await submitAs(alice, a.id, 0, 30, 0.9);
    assert.equal(sub.autoScore, 50);

    await rejectsWith(
      cp.caller(alice).assignment.override({ submissionId: sub.id, score: 100, comment: "me" }),
      "FORBIDDEN",
    );
    await rejectsWith(
      cp.caller(otherTeacher).assignment.override({ submissionId: sub.id, score: 100, comment: "x" }),
      "NOT_FOUND",
    );
    await rejectsWith(api.assignment.override({ submissionId: sub.id, score: 90, comment: "   " }), "BAD_REQUEST");
    await rejectsWith(
      api.assignment.override({ submissionId: sub.id, score: 101, comment: "too much" }),
      "BAD_REQUEST",
    );

    const first = await api.assignment.override({
      submissionId: sub.id,
      score: 80,
      comment: "the device was throttled",
    });
    assert.equal(first.score, 80);
    assert.equal(first.overridden, true);
    const second = await cp
      .caller(admin)
      .assignment.override({ submissionId: sub.id, score: 75, comment: "re-checked" });
    assert.equal(second.score, 75);
    assert.equal(second.autoScore, 50, "the automatic grade stays");
    assert.deepEqual(
      second.overrides.map((o) => [o.score, o.comment, o.by.id]),
      [
        [75, "re-checked", admin.id],
        [80, "the device was throttled", teacher.id],
      ],
    );
    const seen = await cp.caller(alice).assignment.submissions({ assignmentId: a.id });
    assert.equal(seen[0]?.score, 75, "the student sees the grade that counts, and its history");
    assert.equal(seen[0]?.overrides.length, 2);
  });

  test("gradebook and CSV: a row per student, the newest submission counts, cells safe from formula injection", async () => {
    const api = cp.caller(teacher);
    const a = await api.assignment.create({
      classId,
      ...assignmentFields(room.versionIds),
      title: "+SUM(A1:A9)",
      dueAt: new Date(Date.now() + 3_600_000),
    });
    await api.assignment.publish({ id: a.id });
    await submitAs(alice, a.id, 0, 30, 0.5);
    const newest = await submitAs(alice, a.id, 0, 10, 0.9);
    await rejectsWith(cp.caller(alice).assignment.gradebook({ classId }), "FORBIDDEN");
    await rejectsWith(cp.caller(otherTeacher).assignment.gradebook({ classId }), "NOT_FOUND");
    await rejectsWith(cp.caller(bob).assignment.exportCsv({ classId }), "FORBIDDEN");

    const book = await api.assignment.gradebook({ classId });
    const col = book.assignments.findIndex((x) => x.id === a.id);
    assert.ok(col >= 0);
    assert.deepEqual(
      book.rows.map((r) => r.student.username),
      ["alice", "bob"],
    );
    const aliceCell = book.rows[0]?.cells[col];
    assert.equal(aliceCell?.submissionId, newest.id);
    assert.equal(aliceCell?.score, 100);
    assert.equal(book.rows[1]?.cells[col]?.score, null, "bob has not submitted");

    const { csv } = await api.assignment.exportCsv({ classId });
    const parsed = Papa.parse<string[]>(csv.trim(), { skipEmptyLines: true });
    const [header, ...rows] = parsed.data;
    assert.deepEqual(header?.slice(0, 2), ["username", "name"]);
    assert.equal(header?.at(-1), "mean");
    assert.equal(header?.[2 + col], "'+SUM(A1:A9)", "a title starting with + is quoted");
    const aliceRow = rows.find((r) => r[0] === "alice");
    assert.equal(aliceRow?.[1], "Alice Liddell");
    assert.equal(aliceRow?.[2 + col], "100");
    const bobRow = rows.find((r) => r[0] === "bob");
    assert.equal(bobRow?.[1], `'=HYPERLINK("http://evil.invalid","Bob")`);
    assert.equal(bobRow?.[2 + col], "");
    assert.ok(!rows.flat().some((cell) => /^[=+\-@]/.test(cell)), "no cell starts a formula");
    const means = book.rows.map((r) => r.mean);
    assert.equal(aliceRow?.at(-1), String(Math.round((means[0] as number) * 10) / 10));
  });

  test("leaderboard: off → students refused; on → valid newest submissions by score then p95, names only", async () => {
    const api = cp.caller(teacher);
    const a = await api.assignment.create({ classId, ...assignmentFields(room.versionIds), title: "Race" });
    await api.assignment.publish({ id: a.id });
    await submitAs(alice, a.id, 0, 15, 0.9);
    await submitAs(bob, a.id, 1, 12, 0.9);
    await rejectsWith(cp.caller(alice).assignment.leaderboard({ assignmentId: a.id }), "FORBIDDEN", /off/);
    assert.equal((await api.assignment.leaderboard({ assignmentId: a.id })).enabled, false);
    await rejectsWith(cp.caller(outsider).assignment.leaderboard({ assignmentId: a.id }), "NOT_FOUND");

    await cp.db.prisma.class.update({ where: { id: classId }, data: { leaderboardEnabled: true } });
    const board = await cp.caller(alice).assignment.leaderboard({ assignmentId: a.id });
    assert.deepEqual(
      board.entries.map((e) => [e.rank, e.name, e.score, e.p95Ms, e.isMe]),
      [
        [1, '=HYPERLINK("http://evil.invalid","Bob")', 100, 12, false],
        [2, "Alice Liddell", 100, 15, true],
      ],
    );
    // Bob's newest submission is invalid (signature): he drops off; his older valid one does not count.
    const run = await cp
      .caller(bob)
      .assignment.startRun({ assignmentId: a.id, versionId: room.versionIds[0] as string });
    await finishRun(room.agents[1] as TestAgent, room.devices[1] as TestDevice, run.id, { secret: "lfd_wrong" });
    await cp.caller(bob).assignment.submit({ assignmentId: a.id, runId: run.id });
    const after = await cp.caller(bob).assignment.leaderboard({ assignmentId: a.id });
    assert.deepEqual(
      after.entries.map((e) => e.name),
      ["Alice Liddell"],
    );
    await cp.db.prisma.class.update({ where: { id: classId }, data: { leaderboardEnabled: false } });
  });
});
