import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import type { TestAgent, TestDevice } from "../runs/test-kit.ts";
import {
  assignmentFields,
  checkInRow,
  createClassRows,
  createRoom,
  finishRun,
  type Room,
  rejectsWith,
  startSessionRow,
} from "./assignment-test-kit.ts";

describe("student runs: start on the checked-in seat within bounds, visibility, submit and grade", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let room: Room;
  let classId: string;
  let sessionId: string;
  let assignmentId: string;

  const dev = (i: number) => room.devices[i] as TestDevice;
  const agent = (i: number) => room.agents[i] as TestAgent;

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    otherTeacher = await cp.user("instructor");
    [alice, bob, carol] = [await cp.user("student"), await cp.user("student"), await cp.user("student")];
    room = await createRoom(cp, teacher, 3);
    const cls = await createClassRows(cp, { instructors: [teacher], students: [alice, bob, carol] });
    classId = cls.id;
    sessionId = (await startSessionRow(cp, classId, room.labId)).id;
    await checkInRow(cp, sessionId, alice.id, dev(0).id);
    await checkInRow(cp, sessionId, bob.id, dev(1).id);
    // carol is on the roster but not checked in.
    const a = await cp.caller(teacher).assignment.create({ classId, ...assignmentFields(room.versionIds) });
    assignmentId = a.id;
  });
  after(async () => {
    for (const a of room.agents) a.close();
    await cp.close();
  });

  test("an unpublished assignment cannot be run; teachers do not start student runs", async () => {
    await rejectsWith(
      cp.caller(alice).assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string }),
      "NOT_FOUND",
    );
    await cp.caller(teacher).assignment.publish({ id: assignmentId });
    await rejectsWith(
      cp.caller(teacher).assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string }),
      "FORBIDDEN",
    );
    await rejectsWith(
      cp.caller(null).assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string }),
      "UNAUTHORIZED",
    );
  });

  test("out of bounds, an unknown variant, or not checked in is refused, and nothing is started", async () => {
    const versionId = room.versionIds[0] as string;
    const before = agent(0).starts.length;
    await rejectsWith(
      cp.caller(alice).assignment.startRun({ assignmentId, versionId, threads: 5 }),
      "BAD_REQUEST",
      /threads must be between 1 and 4/,
    );
    await rejectsWith(
      cp.caller(alice).assignment.startRun({ assignmentId, versionId, batchSize: 9 }),
      "BAD_REQUEST",
      /batch size must be between 1 and 8/,
    );
    await rejectsWith(
      cp.caller(alice).assignment.startRun({ assignmentId, versionId: room.otherVersionId }),
      "BAD_REQUEST",
      /not one of this assignment's/,
    );
    await rejectsWith(cp.caller(carol).assignment.startRun({ assignmentId, versionId }), "CONFLICT", /Check in/);
    assert.equal(agent(0).starts.length, before);
    assert.equal(await cp.db.prisma.run.count({ where: { assignmentId } }), 0);
  });

  test("a run goes to the student's own seat with their choices, and records who, where and for what", async () => {
    const versionId = room.versionIds[1] as string;
    const run = await cp.caller(alice).assignment.startRun({ assignmentId, versionId, threads: 3, batchSize: 4 });
    assert.equal(run.status, "running");
    assert.equal(run.deviceId, dev(0).id);
    const sent = agent(0).starts.find((s) => s.runId === run.id);
    assert.equal(sent?.versionId, versionId);
    assert.equal(sent?.spec.threads, 3);
    assert.equal(sent?.spec.batchSize, 4);
    assert.equal(sent?.spec.iterations, 50, "the rest comes from the base spec");
    assert.ok(!agent(1).starts.some((s) => s.runId === run.id));
    const row = await cp.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    assert.deepEqual([row.studentId, row.sessionId, row.assignmentId], [alice.id, sessionId, assignmentId]);

    // Without choices the base spec's values are used.
    const plain = await cp.caller(bob).assignment.startRun({ assignmentId, versionId });
    assert.equal(plain.deviceId, dev(1).id);
    assert.equal(agent(1).starts.find((s) => s.runId === plain.id)?.spec.threads, 2);
  });

  test("a second student cannot see the first one's runs or submissions, through any procedure", async () => {
    const aliceRun = await cp
      .caller(alice)
      .assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string });
    await finishRun(agent(0), dev(0), aliceRun.id, { p95: 12, accuracy: 0.9 });
    const sub = await cp.caller(alice).assignment.submit({ assignmentId, runId: aliceRun.id });

    const asBob = cp.caller(bob);
    await rejectsWith(asBob.run.get({ id: aliceRun.id }), "NOT_FOUND");
    await rejectsWith(asBob.run.compare({ ids: [aliceRun.id] }), "NOT_FOUND");
    const bobList = await asBob.run.list({});
    assert.ok(bobList.length > 0, "bob sees his own runs");
    assert.ok(bobList.every((r) => r.deviceId === dev(1).id));
    assert.equal((await asBob.run.list({ deviceId: dev(0).id })).length, 0);
    const bobMine = await asBob.assignment.myRuns({ assignmentId });
    assert.ok(!bobMine.some((r) => r.id === aliceRun.id));
    assert.equal((await asBob.assignment.submissions({ assignmentId })).length, 0);
    assert.equal((await asBob.assignment.submissions({ assignmentId, studentId: alice.id })).length, 0);
    await rejectsWith(asBob.assignment.submit({ assignmentId, runId: aliceRun.id }), "NOT_FOUND");
    await rejectsWith(asBob.assignment.override({ submissionId: sub.id, score: 100, comment: "mine" }), "NOT_FOUND");

    // Alice sees hers; a staff benchmark is not a student's to see.
    assert.equal((await cp.caller(alice).run.get({ id: aliceRun.id })).id, aliceRun.id);
    assert.ok((await cp.caller(alice).assignment.myRuns({ assignmentId })).some((r) => r.id === aliceRun.id));
    const staffRun = await cp.caller(teacher).run.start({
      versionId: room.versionIds[0] as string,
      deviceId: dev(2).id,
      spec: { kind: "benchmark", iterations: 5 },
    });
    await rejectsWith(cp.caller(alice).run.get({ id: staffRun.id }), "NOT_FOUND");
    assert.ok(!(await cp.caller(alice).run.list({})).some((r) => r.id === staffRun.id));

    // The class's instructor sees every student's run; another instructor does not.
    assert.equal((await cp.caller(teacher).run.get({ id: aliceRun.id })).id, aliceRun.id);
    const all = await cp.caller(teacher).run.list({ assignmentId });
    assert.ok(all.some((r) => r.deviceId === dev(0).id) && all.some((r) => r.deviceId === dev(1).id));
    await rejectsWith(cp.caller(otherTeacher).run.get({ id: aliceRun.id }), "NOT_FOUND");
    assert.equal((await cp.caller(otherTeacher).run.list({ assignmentId })).length, 0);
    await rejectsWith(cp.caller(otherTeacher).assignment.submissions({ assignmentId }), "NOT_FOUND");
  });

  test("submit: graded per target from the real ingested result; only own, succeeded runs of this assignment", async () => {
    const api = cp.caller(alice);
    const run = await api.assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string });
    await rejectsWith(api.assignment.submit({ assignmentId, runId: run.id }), "CONFLICT", /succeeded/);
    await finishRun(agent(0), dev(0), run.id, { p95: 25, accuracy: 0.85 });
    const sub = await api.assignment.submit({ assignmentId, runId: run.id });
    assert.equal(sub.valid, true);
    assert.equal(sub.invalidReason, null);
    assert.deepEqual(
      sub.checks.map((c) => [c.target, c.value, c.passed]),
      [
        ["accuracyMin", 0.85, true],
        ["p95MsMax", 25, false],
      ],
    );
    assert.equal(sub.autoScore, 50);
    assert.equal(sub.score, 50);
    assert.equal(sub.daysLate, 0);

    // A run for another assignment of the class is not accepted here.
    const other = await cp.caller(teacher).assignment.create({
      classId,
      ...assignmentFields(room.versionIds),
      title: "Other",
    });
    await cp.caller(teacher).assignment.publish({ id: other.id });
    await rejectsWith(
      api.assignment.submit({ assignmentId: other.id, runId: run.id }),
      "BAD_REQUEST",
      /this assignment/,
    );
    await rejectsWith(cp.caller(teacher).assignment.submit({ assignmentId, runId: run.id }), "FORBIDDEN");
  });

  test("an invalid signature, another seat, or a run outside the check-in is kept with the reason and scores 0", async () => {
    const api = cp.caller(alice);
    const versionId = room.versionIds[0] as string;
    const forged = await api.assignment.startRun({ assignmentId, versionId });
    await finishRun(agent(0), dev(0), forged.id, { p95: 5, accuracy: 0.99, secret: "lfd_not-the-device-secret" });
    const bad = await api.assignment.submit({ assignmentId, runId: forged.id });
    assert.equal(bad.valid, false);
    assert.match(bad.invalidReason ?? "", /signature/);
    assert.equal(bad.autoScore, 0);
    assert.ok(
      bad.checks.every((c) => c.passed),
      "the checks still show what the run measured",
    );

    // Alice's run, then her check-in moved to another seat: the run no longer comes from her seat.
    const moved = await api.assignment.startRun({ assignmentId, versionId });
    await finishRun(agent(0), dev(0), moved.id, { p95: 5, accuracy: 0.99 });
    await cp.db.prisma.sessionCheckIn.update({
      where: { sessionId_studentId: { sessionId, studentId: alice.id } },
      data: { deviceId: dev(2).id },
    });
    const elsewhere = await api.assignment.submit({ assignmentId, runId: moved.id });
    assert.equal(elsewhere.valid, false);
    assert.match(elsewhere.invalidReason ?? "", /device you were checked in to/);
    await cp.db.prisma.sessionCheckIn.update({
      where: { sessionId_studentId: { sessionId, studentId: alice.id } },
      data: { deviceId: dev(0).id },
    });

    // A run older than the session (its start moved back an hour): outside the session.
    const early = await api.assignment.startRun({ assignmentId, versionId });
    await finishRun(agent(0), dev(0), early.id, { p95: 5, accuracy: 0.99 });
    await cp.db.prisma.run.update({ where: { id: early.id }, data: { createdAt: new Date(Date.now() - 3_600_000) } });
    const outside = await api.assignment.submit({ assignmentId, runId: early.id });
    assert.equal(outside.valid, false);
    assert.match(outside.invalidReason ?? "", /session was running/);

    // Every submission is kept; the newest counts in the student's list.
    const mine = await api.assignment.submissions({ assignmentId });
    assert.equal(mine[0]?.id, outside.id);
    assert.ok(mine.length >= 4);
    const listed = await api.assignment.list({ classId });
    const item = listed.find((x) => x.id === assignmentId);
    assert.equal(item?.mine?.submitted, true);
    assert.equal(item?.mine?.grade, 0);
    assert.equal(item?.mine?.valid, false);
  });

  test("energy target: a device without power readings misses it with the reason", async () => {
    const withEnergy = await cp.caller(teacher).assignment.create({
      classId,
      ...assignmentFields(room.versionIds),
      title: "Frugal",
      targets: { energyJMax: 0.5 },
    });
    await cp.caller(teacher).assignment.publish({ id: withEnergy.id });
    const api = cp.caller(bob);
    const r1 = await api.assignment.startRun({ assignmentId: withEnergy.id, versionId: room.versionIds[0] as string });
    await finishRun(agent(1), dev(1), r1.id, { energyJ: null });
    const s1 = await api.assignment.submit({ assignmentId: withEnergy.id, runId: r1.id });
    assert.equal(s1.checks[0]?.passed, false);
    assert.equal(s1.checks[0]?.reason, "this device does not report power");
    const r2 = await api.assignment.startRun({ assignmentId: withEnergy.id, versionId: room.versionIds[0] as string });
    await finishRun(agent(1), dev(1), r2.id, { energyJ: 0.3 });
    const s2 = await api.assignment.submit({ assignmentId: withEnergy.id, runId: r2.id });
    assert.equal(s2.autoScore, 100);
  });

  test("late policies: reject refuses past the due date; penalty takes points per started day, then refuses", async () => {
    const due = new Date(Date.now() - 60_000);
    const late = await cp.caller(teacher).assignment.create({
      classId,
      ...assignmentFields(room.versionIds),
      title: "Late",
      targets: { p95MsMax: 20 },
      dueAt: due,
      latePolicy: { kind: "reject" },
    });
    await cp.caller(teacher).assignment.publish({ id: late.id });
    const api = cp.caller(bob);
    const run = await api.assignment.startRun({ assignmentId: late.id, versionId: room.versionIds[0] as string });
    await finishRun(agent(1), dev(1), run.id, { p95: 10 });
    await rejectsWith(api.assignment.submit({ assignmentId: late.id, runId: run.id }), "CONFLICT", /past the due date/);
    assert.equal(await cp.db.prisma.submission.count({ where: { assignmentId: late.id } }), 0);

    const fields = { ...assignmentFields(room.versionIds), title: "Late", targets: { p95MsMax: 20 } };
    await cp.caller(teacher).assignment.update({
      id: late.id,
      ...fields,
      dueAt: due,
      latePolicy: { kind: "penalty", percentPerDay: 30, maxDays: 2 },
    });
    const penalised = await api.assignment.submit({ assignmentId: late.id, runId: run.id });
    assert.equal(penalised.daysLate, 1);
    assert.equal(penalised.autoScore, 70);
    await cp.caller(teacher).assignment.update({
      id: late.id,
      ...fields,
      dueAt: new Date(Date.now() - 3 * 24 * 3_600_000),
      latePolicy: { kind: "penalty", percentPerDay: 30, maxDays: 2 },
    });
    await rejectsWith(api.assignment.submit({ assignmentId: late.id, runId: run.id }), "CONFLICT", /past the due date/);
  });

  test("mySeat shows the student's seat while checked in, and nothing after checking out", async () => {
    const seat = await cp.caller(bob).assignment.mySeat({ assignmentId });
    assert.equal(seat.checkedIn, true);
    assert.equal(seat.deviceId, dev(1).id);
    assert.equal(seat.sessionId, sessionId);
    assert.equal(seat.online, true);
    assert.equal((await cp.caller(carol).assignment.mySeat({ assignmentId })).checkedIn, false);
    await cp.db.prisma.sessionCheckIn.update({
      where: { sessionId_studentId: { sessionId, studentId: bob.id } },
      data: { checkedOutAt: new Date() },
    });
    assert.equal((await cp.caller(bob).assignment.mySeat({ assignmentId })).checkedIn, false);
    await rejectsWith(
      cp.caller(bob).assignment.startRun({ assignmentId, versionId: room.versionIds[0] as string }),
      "CONFLICT",
      /Check in/,
    );
  });
});
