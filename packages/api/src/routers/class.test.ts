import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClass, JOIN_CODE_ALPHABET } from "../services/classroom/classes.ts";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { rejectsWith } from "../testing/trpc-assert.ts";

const JOIN_CODE = new RegExp(`^[${JOIN_CODE_ALPHABET}]{6,8}$`);

describe("class router: classes, instructors, join codes and rosters by role", () => {
  let cp: TestControlPlane;
  let admin: TestUser;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let student: TestUser;
  let outsider: TestUser;
  let classId: string;
  let joinCode: string;
  let otherClassId: string;

  before(async () => {
    cp = await startTestControlPlane();
    admin = await cp.user("admin");
    teacher = await cp.user("instructor");
    otherTeacher = await cp.user("instructor");
    student = await cp.user("student");
    outsider = await cp.user("student");
    const created = await cp.caller(teacher).class.create({ name: "Edge AI 101", term: "Fall 2026" });
    classId = created.id;
    joinCode = created.joinCode;
    otherClassId = (await cp.caller(otherTeacher).class.create({ name: "Robotics", term: "Fall 2026" })).id;
    await cp
      .caller(outsider)
      .class.join({ code: (await cp.caller(otherTeacher).class.get({ classId: otherClassId })).joinCode ?? "" });
  });
  after(async () => {
    await cp.close();
  });

  test("anonymous callers are refused everywhere", async () => {
    const api = cp.caller(null);
    await rejectsWith(api.class.list(), "UNAUTHORIZED");
    await rejectsWith(api.class.get({ classId }), "UNAUTHORIZED");
    await rejectsWith(api.class.create({ name: "x", term: "y" }), "UNAUTHORIZED");
    await rejectsWith(api.class.join({ code: joinCode }), "UNAUTHORIZED");
    await rejectsWith(api.class.roster({ classId }), "UNAUTHORIZED");
    await rejectsWith(api.class.importPreview({ classId, csv: "name\nA" }), "UNAUTHORIZED");
  });

  test("create: the creator teaches the class, with a join code without look-alikes; students cannot create", async () => {
    assert.match(joinCode, JOIN_CODE);
    const detail = await cp.caller(teacher).class.get({ classId });
    assert.equal(detail.name, "Edge AI 101");
    assert.equal(detail.canTeach, true);
    assert.deepEqual(
      detail.instructors.map((i) => i.id),
      [teacher.id],
    );
    await rejectsWith(cp.caller(student).class.create({ name: "Mine", term: "Now" }), "FORBIDDEN");
    await rejectsWith(cp.caller(teacher).class.create({ name: "  ", term: "Fall" }), "BAD_REQUEST");
    await rejectsWith(cp.caller(teacher).class.create({ name: "x".repeat(121), term: "Fall" }), "BAD_REQUEST");
    const byAdmin = await cp.caller(admin).class.create({ name: "Admin's class", term: "Spring 2027" });
    assert.match(byAdmin.joinCode, JOIN_CODE);
  });

  test("a colliding join code is retried with another one", async () => {
    const codes = [joinCode, joinCode, "QQQQQQ"];
    const created = await createClass(
      cp.db,
      { id: teacher.id, role: "instructor" },
      { name: "Collide", term: "Fall 2026" },
      { generate: () => codes.shift() ?? "ZZZZZZ" },
    );
    assert.equal(created.joinCode, "QQQQQQ");
    assert.equal(codes.length, 0, "both taken codes were tried first");
  });

  test("a student joins with the code (any case, spaces), once; staff cannot join; a wrong code is NOT_FOUND", async () => {
    const spaced = `${joinCode.slice(0, 3).toLowerCase()} ${joinCode.slice(3)}`;
    const joined = await cp.caller(student).class.join({ code: spaced });
    assert.deepEqual(joined, { classId, name: "Edge AI 101", term: "Fall 2026", alreadyJoined: false });
    assert.equal((await cp.caller(student).class.join({ code: joinCode })).alreadyJoined, true);
    await rejectsWith(cp.caller(otherTeacher).class.join({ code: joinCode }), "FORBIDDEN");
    await rejectsWith(cp.caller(student).class.join({ code: "ABCDEF" }), "NOT_FOUND");
    await rejectsWith(cp.caller(student).class.join({ code: "A!" }), "BAD_REQUEST");
  });

  test("list: each role sees only its classes; students never see join codes", async () => {
    const studentList = await cp.caller(student).class.list();
    assert.deepEqual(
      studentList.map((c) => c.id),
      [classId],
    );
    assert.equal(studentList[0]?.joinCode, null);
    assert.equal(studentList[0]?.canTeach, false);
    assert.equal(studentList[0]?.studentCount, 1);

    const outsiderList = await cp.caller(outsider).class.list();
    assert.deepEqual(
      outsiderList.map((c) => c.id),
      [otherClassId],
    );
    const otherTeacherIds = (await cp.caller(otherTeacher).class.list()).map((c) => c.id);
    assert.deepEqual(otherTeacherIds, [otherClassId]);
    const adminIds = (await cp.caller(admin).class.list()).map((c) => c.id);
    assert.ok(adminIds.includes(classId) && adminIds.includes(otherClassId));
    const adminView = (await cp.caller(admin).class.list()).find((c) => c.id === classId);
    assert.equal(adminView?.joinCode, joinCode);
  });

  test("get: a student of another class and an instructor of another class get NOT_FOUND", async () => {
    await rejectsWith(cp.caller(outsider).class.get({ classId }), "NOT_FOUND");
    await rejectsWith(cp.caller(otherTeacher).class.get({ classId }), "NOT_FOUND");
    const asStudent = await cp.caller(student).class.get({ classId });
    assert.equal(asStudent.joinCode, null);
    assert.equal(asStudent.canTeach, false);
    assert.equal((await cp.caller(admin).class.get({ classId })).canTeach, true);
  });

  test("update and regenerateJoinCode: only who teaches the class", async () => {
    await rejectsWith(cp.caller(student).class.update({ id: classId, name: "Hacked" }), "FORBIDDEN");
    await rejectsWith(cp.caller(outsider).class.update({ id: classId, name: "Hacked" }), "NOT_FOUND");
    await rejectsWith(cp.caller(otherTeacher).class.update({ id: classId, name: "Hacked" }), "NOT_FOUND");
    await cp.caller(teacher).class.update({ id: classId, leaderboardEnabled: true, term: "Winter 2026" });
    const after1 = await cp.caller(teacher).class.get({ classId });
    assert.deepEqual([after1.name, after1.term, after1.leaderboardEnabled], ["Edge AI 101", "Winter 2026", true]);
    await cp.caller(admin).class.update({ id: classId, name: "Edge AI 102" });
    assert.equal((await cp.caller(teacher).class.get({ classId })).name, "Edge AI 102");

    await rejectsWith(cp.caller(student).class.regenerateJoinCode({ classId }), "FORBIDDEN");
    await rejectsWith(cp.caller(otherTeacher).class.regenerateJoinCode({ classId }), "NOT_FOUND");
    const { joinCode: fresh } = await cp.caller(teacher).class.regenerateJoinCode({ classId });
    assert.match(fresh, JOIN_CODE);
    assert.notEqual(fresh, joinCode);
    await rejectsWith(cp.caller(outsider).class.join({ code: joinCode }), "NOT_FOUND", /join code/);
    joinCode = fresh;
  });

  test("instructors are added by username or e-mail, only instructor accounts, never the last one removed", async () => {
    const api = cp.caller(teacher);
    await rejectsWith(api.class.addInstructor({ classId, user: student.email }), "NOT_FOUND", /instructor account/);
    await rejectsWith(api.class.addInstructor({ classId, user: "nobody" }), "NOT_FOUND");
    await rejectsWith(cp.caller(student).class.addInstructor({ classId, user: otherTeacher.email }), "FORBIDDEN");
    await rejectsWith(cp.caller(otherTeacher).class.addInstructor({ classId, user: otherTeacher.email }), "NOT_FOUND");

    const added = await api.class.addInstructor({ classId, user: otherTeacher.email.toUpperCase() });
    assert.equal(added.id, otherTeacher.id);
    await rejectsWith(api.class.addInstructor({ classId, user: otherTeacher.email }), "CONFLICT");
    // Now the co-instructor sees and teaches the class.
    assert.equal((await cp.caller(otherTeacher).class.get({ classId })).canTeach, true);

    await api.class.removeInstructor({ classId, userId: teacher.id });
    await rejectsWith(cp.caller(teacher).class.get({ classId }), "NOT_FOUND");
    await rejectsWith(
      cp.caller(otherTeacher).class.removeInstructor({ classId, userId: otherTeacher.id }),
      "CONFLICT",
      /at least one instructor/,
    );
    await rejectsWith(cp.caller(otherTeacher).class.removeInstructor({ classId, userId: admin.id }), "NOT_FOUND");
    // The admin puts the first instructor back (by username would need one; the harness users have e-mails only).
    await cp.caller(admin).class.addInstructor({ classId, user: teacher.email });
    assert.equal((await cp.caller(teacher).class.get({ classId })).instructors.length, 2);
  });

  test("roster and removeStudent: only who teaches the class; a removed student loses the class", async () => {
    await rejectsWith(cp.caller(student).class.roster({ classId }), "FORBIDDEN");
    await rejectsWith(cp.caller(outsider).class.roster({ classId }), "NOT_FOUND");
    const roster = await cp.caller(teacher).class.roster({ classId });
    assert.deepEqual(
      roster.map((r) => [r.id, r.email]),
      [[student.id, student.email]],
    );
    await rejectsWith(cp.caller(student).class.removeStudent({ classId, studentId: student.id }), "FORBIDDEN");
    await rejectsWith(cp.caller(teacher).class.removeStudent({ classId, studentId: outsider.id }), "NOT_FOUND");
    await cp.caller(teacher).class.removeStudent({ classId, studentId: student.id });
    assert.deepEqual(await cp.caller(student).class.list(), []);
    await rejectsWith(cp.caller(student).class.get({ classId }), "NOT_FOUND");
    await cp.caller(student).class.join({ code: joinCode });
  });

  test("roster import, preview and reset are refused to students and to other classes' instructors", async () => {
    const csv = "name\nNew Student";
    const refusals: Array<[TestUser, string]> = [
      [student, "FORBIDDEN"],
      [outsider, "NOT_FOUND"],
    ];
    for (const [u, code] of refusals) {
      await rejectsWith(cp.caller(u).class.importPreview({ classId, csv }), code);
      await rejectsWith(cp.caller(u).class.importCommit({ classId, csv }), code);
      await rejectsWith(cp.caller(u).class.resetCredentials({ classId, studentId: student.id }), code);
    }
    const lone = await cp.user("instructor");
    await rejectsWith(cp.caller(lone).class.importPreview({ classId, csv }), "NOT_FOUND");
    await rejectsWith(cp.caller(lone).class.resetCredentials({ classId, studentId: student.id }), "NOT_FOUND");
    // An instructor cannot reset someone who is not on the roster of their class (here: another class's student).
    await rejectsWith(cp.caller(teacher).class.resetCredentials({ classId, studentId: outsider.id }), "NOT_FOUND");
    await rejectsWith(cp.caller(teacher).class.resetCredentials({ classId, studentId: teacher.id }), "NOT_FOUND");
    // An admin may do all of it in any class.
    assert.equal((await cp.caller(admin).class.importPreview({ classId, csv })).ok, true);
    const reset = await cp.caller(admin).class.resetCredentials({ classId, studentId: student.id });
    assert.equal(reset.userId, student.id);
    await rejectsWith(
      cp.caller(teacher).class.importPreview({ classId, csv: "x".repeat(1_000_001) }),
      "BAD_REQUEST",
      /larger than 1 MB/,
    );
  });
});
