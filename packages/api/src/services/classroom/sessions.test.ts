import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionsJob } from "../../jobs/sessions.ts";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { createModel } from "../runs/test-kit.ts";
import { createAssignment, createClass, createLab, HOUR, rejectsWith, window } from "./classroom-kit.ts";

describe("lab sessions: schedule, start, end, the schedule job", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let admin: TestUser;
  let student: TestUser;
  let cls: { id: string; name: string };

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    otherTeacher = await cp.user("instructor");
    admin = await cp.user("admin");
    student = await cp.user("student");
    cls = await createClass(cp, [teacher], [student]);
  });
  after(async () => {
    await cp.close();
  });

  test("scheduling is validated and only the class's teachers (or an admin) may schedule", async () => {
    const lab = await createLab(cp, teacher, 1);
    const api = cp.caller(teacher).labSession;
    const base = { classId: cls.id, labId: lab.id, title: "Week 1", ...window(HOUR) };
    await rejectsWith(api.schedule({ ...base, endsAt: base.startsAt }), "BAD_REQUEST", /end must be after the start/);
    await rejectsWith(
      api.schedule({ ...base, endsAt: new Date(base.startsAt.getTime() - 1) }),
      "BAD_REQUEST",
      /end must be after/,
    );
    await rejectsWith(
      api.schedule({ ...base, endsAt: new Date(base.startsAt.getTime() + 13 * HOUR) }),
      "BAD_REQUEST",
      /at most 12 hours/,
    );
    await rejectsWith(api.schedule({ ...base, title: "  " }), "BAD_REQUEST");
    await rejectsWith(api.schedule({ ...base, labId: "no-such-lab" }), "NOT_FOUND", /lab/);
    const otherClass = await createClass(cp, [otherTeacher], []);
    const foreign = await createAssignment(cp, otherClass.id, []);
    await rejectsWith(api.schedule({ ...base, assignmentId: foreign.id }), "NOT_FOUND", /assignment/);
    await rejectsWith(cp.caller(otherTeacher).labSession.schedule(base), "NOT_FOUND", /class/);
    await rejectsWith(cp.caller(student).labSession.schedule(base), "FORBIDDEN");

    const s = await api.schedule(base);
    assert.equal(s.status, "scheduled");
    assert.equal(s.className, cls.name);
    assert.equal(s.labName, lab.name);
    assert.equal(s.autoStart, false);
    const byAdmin = await cp.caller(admin).labSession.schedule({ ...base, title: "Week 2" });
    assert.equal(byAdmin.title, "Week 2");

    const listed = await api.list({ classId: cls.id });
    assert.deepEqual(listed.map((x) => x.title).sort(), ["Week 1", "Week 2"]);
    assert.equal((await cp.caller(student).labSession.list({ classId: cls.id })).length, 2);
    await rejectsWith(cp.caller(otherTeacher).labSession.list({ classId: cls.id }), "NOT_FOUND");
    const mine = await cp.caller(student).labSession.mine();
    assert.deepEqual(
      mine.classes.map((c) => c.id),
      [cls.id],
    );
    assert.ok(mine.sessions.some((x) => x.id === s.id));
    const outsider = await cp.user("student");
    assert.deepEqual(await cp.caller(outsider).labSession.mine(), { classes: [], sessions: [] });
    await rejectsWith(cp.caller(outsider).labSession.get({ id: s.id }), "NOT_FOUND");
  });

  test("start and end; only one active session per lab, and the refusal names the other", async () => {
    const lab = await createLab(cp, teacher, 1);
    const api = cp.caller(teacher).labSession;
    const a = await api.schedule({ classId: cls.id, labId: lab.id, title: "Morning", ...window() });
    const b = await api.schedule({ classId: cls.id, labId: lab.id, title: "Overlap", ...window() });
    await rejectsWith(cp.caller(student).labSession.start({ id: a.id }), "FORBIDDEN");
    await rejectsWith(cp.caller(otherTeacher).labSession.start({ id: a.id }), "NOT_FOUND");

    const started = await api.start({ id: a.id });
    assert.equal(started.session.status, "active");
    assert.ok(started.session.startedAt instanceof Date);
    assert.deepEqual(started.preparation, { deployed: [], misfits: [] }, "no assignment: nothing to deploy");
    await rejectsWith(api.start({ id: a.id }), "CONFLICT", /only a scheduled session can start/);
    await rejectsWith(api.start({ id: b.id }), "CONFLICT", new RegExp(`in use by "Morning" \\(${cls.name}\\)`));
    await rejectsWith(api.cancel({ id: a.id }), "CONFLICT");

    // Starting both at once: exactly one wins.
    const lab2 = await createLab(cp, teacher, 1);
    const c = await api.schedule({ classId: cls.id, labId: lab2.id, title: "C", ...window() });
    const d = await api.schedule({ classId: cls.id, labId: lab2.id, title: "D", ...window() });
    const both = await Promise.allSettled([api.start({ id: c.id }), api.start({ id: d.id })]);
    assert.equal(both.filter((r) => r.status === "fulfilled").length, 1);

    const ended = await api.end({ id: a.id });
    assert.equal(ended.session.status, "ended");
    await rejectsWith(api.end({ id: a.id }), "CONFLICT", /only an active one can end/);
    assert.equal((await api.start({ id: b.id })).session.status, "active", "the lab is free again");
    await api.end({ id: b.id });

    const late = await api.schedule({ classId: cls.id, labId: lab.id, title: "Too late", ...window(-2 * HOUR) });
    await rejectsWith(api.start({ id: late.id }), "CONFLICT", /time is over/);
    const e = await api.schedule({ classId: cls.id, labId: lab.id, title: "Called off", ...window(HOUR) });
    assert.equal((await api.cancel({ id: e.id })).status, "cancelled");
    await rejectsWith(api.start({ id: e.id }), "CONFLICT");
    const mine = await cp.caller(student).labSession.mine();
    assert.ok(!mine.sessions.some((x) => [a.id, b.id, e.id].includes(x.id)), "ended and cancelled are not listed");
  });

  test("the end checks everyone out, closes open hands and cancels the session's runs still going", async () => {
    const lab = await createLab(cp, teacher, 2);
    const s2 = await cp.user("student");
    const c2 = await createClass(cp, [teacher], [student, s2]);
    const api = cp.caller(teacher).labSession;
    const s = await api.schedule({ classId: c2.id, labId: lab.id, title: "Ends", ...window() });
    await api.start({ id: s.id });
    const codes = await api.seatCodes({ labId: lab.id });
    const [c1, c2code] = codes.codes.map((c) => c.seatCode);
    await cp.caller(student).labSession.checkIn({ seatCode: c1 as string });
    await cp.caller(s2).labSession.checkIn({ sessionId: s.id, seatCode: c2code as string });
    await cp.caller(student).labSession.raiseHand({ sessionId: s.id, note: "stuck" });
    const { versions } = await createModel(cp);
    const run = await cp.db.prisma.run.create({
      data: {
        deviceId: lab.deviceIds[0] as string,
        versionId: versions[0]?.id as string,
        kind: "benchmark",
        spec: {},
        status: "running",
        sessionId: s.id,
        studentId: student.id,
      },
    });
    const finished = await cp.db.prisma.run.create({
      data: {
        deviceId: lab.deviceIds[1] as string,
        versionId: versions[0]?.id as string,
        kind: "benchmark",
        spec: {},
        status: "succeeded",
        sessionId: s.id,
        studentId: s2.id,
      },
    });
    const before = await api.get({ id: s.id });
    assert.equal(before.viewer === "teacher" && before.checkIns.length, 2);

    const res = await api.end({ id: s.id });
    assert.equal(res.checkedOut, 2);
    assert.equal(res.runsCancelled, 1);
    const rows = await cp.db.prisma.sessionCheckIn.findMany({ where: { sessionId: s.id } });
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.checkedOutAt !== null));
    const hands = await cp.db.prisma.helpRequest.findMany({ where: { sessionId: s.id } });
    assert.deepEqual(
      hands.map((h) => [h.resolution, h.answeredAt !== null]),
      [["closed", true]],
    );
    // The device is offline here, so the run is marked cancelled at once rather than asked to stop.
    assert.equal((await cp.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status, "cancelled");
    assert.equal((await cp.db.prisma.run.findUniqueOrThrow({ where: { id: finished.id } })).status, "succeeded");
    const after = await api.get({ id: s.id });
    assert.equal(after.viewer === "teacher" && after.checkIns.length, 0);
    assert.equal(after.viewer === "teacher" && after.helpQueue.length, 0);
    // The seats are free for the next class.
    const next = await api.schedule({ classId: c2.id, labId: lab.id, title: "Next", ...window() });
    await api.start({ id: next.id });
    await cp.caller(s2).labSession.checkIn({ sessionId: next.id, seatCode: c1 as string });
    await api.end({ id: next.id });
  });

  test("the job starts auto-start sessions at their start and ends active ones at their end, by its clock", async () => {
    const lab = await createLab(cp, teacher, 1);
    const api = cp.caller(teacher).labSession;
    const t0 = Date.now() + 2 * HOUR;
    const auto = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "Auto",
      startsAt: new Date(t0),
      endsAt: new Date(t0 + HOUR),
      autoStart: true,
    });
    const byHand = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "By hand",
      startsAt: new Date(t0 + HOUR),
      endsAt: new Date(t0 + 2 * HOUR),
    });
    const job = sessionsJob({ db: cp.db, hub: cp.plane.hub });
    const status = async (id: string) =>
      (await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;

    await job.run({ db: cp.db, now: t0 - 1 });
    assert.equal(await status(auto.id), "scheduled", "not yet");
    await job.run({ db: cp.db, now: t0 });
    assert.equal(await status(auto.id), "active");
    await job.run({ db: cp.db, now: t0 + HOUR - 1 });
    assert.equal(await status(auto.id), "active");
    // At the hour the first ends and the second, not auto-start, stays scheduled.
    await job.run({ db: cp.db, now: t0 + HOUR });
    assert.equal(await status(auto.id), "ended");
    assert.equal(await status(byHand.id), "scheduled");
    const row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: auto.id } });
    assert.equal(row.startedAt?.getTime(), t0);
    assert.equal(row.endedAt?.getTime(), t0 + HOUR);

    // A session started by hand is ended by the job too.
    await api.start({ id: byHand.id });
    await job.run({ db: cp.db, now: t0 + 2 * HOUR });
    assert.equal(await status(byHand.id), "ended");

    // A missed window is not started late.
    const missed = await api.schedule({
      classId: cls.id,
      labId: lab.id,
      title: "Missed",
      startsAt: new Date(t0),
      endsAt: new Date(t0 + HOUR),
      autoStart: true,
    });
    await job.run({ db: cp.db, now: t0 + 3 * HOUR });
    assert.equal(await status(missed.id), "scheduled");
  });
});
