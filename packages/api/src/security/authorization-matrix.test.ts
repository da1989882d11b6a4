// The authorization matrix: every tRPC procedure and every socket event, called over the real HTTP endpoint and
// the real socket.io namespaces as each role, against a real database. The table below is the specification; a
// procedure or event without a row fails the test, so nothing new ships without a decision about who may call it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appRouter } from "../routers/root.ts";
import { assignmentFields } from "../services/classroom/assignment-test-kit.ts";
import { createModel } from "../services/runs/test-kit.ts";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { buildSchool, type MatrixRole, ROLES, type School, unique } from "./fixture.ts";
import { checkSocketMatrix } from "./socket-matrix.ts";
import { callHttp, type HttpCaller, LEAK } from "./trpc-http.ts";

const OK = "ok";
const U = "UNAUTHORIZED";
const F = "FORBIDDEN";
const NF = "NOT_FOUND";
type Outcome = typeof OK | typeof U | typeof F | typeof NF;
type People = Record<Exclude<MatrixRole, "anonymous" | "device">, Outcome>;
type Expect = Record<MatrixRole, Outcome>;

/** Nobody without a session gets anything: the anonymous caller and a device's credential are not a session. */
const e = (people: People): Expect => ({ anonymous: U, device: U, ...people });
const SIGNED_IN = e({ otherStudent: OK, student: OK, otherInstructor: OK, instructor: OK, admin: OK });
const STAFF = e({ otherStudent: F, student: F, otherInstructor: OK, instructor: OK, admin: OK });
const ADMIN = e({ otherStudent: F, student: F, otherInstructor: F, instructor: F, admin: OK });
/** Change a class A object: its instructors and admins; its student may see it (FORBIDDEN), outsiders may not. */
const TEACH = e({ otherStudent: NF, student: F, otherInstructor: NF, instructor: OK, admin: OK });
/** See a class A object: its members and admins; to outsiders it does not exist. */
const VIEW = e({ otherStudent: NF, student: OK, otherInstructor: NF, instructor: OK, admin: OK });
/** A student's own action in class A (check in, raise a hand, run, submit): staff are refused, outsiders see nothing. */
const STUDENT_OWN = e({ otherStudent: NF, student: OK, otherInstructor: F, instructor: F, admin: F });
/**
 * Room 101 and its devices (fleet-scope.ts): the admin, and class A's instructor, whose session is there; to the
 * instructor of another class they do not exist.
 */
const ROOM = e({ otherStudent: F, student: F, otherInstructor: NF, instructor: OK, admin: OK });

interface Ctx {
  cp: TestControlPlane;
  s: School;
  role: MatrixRole;
}
interface Row {
  expect: Expect;
  /** A valid input; built per call, so that destructive calls get an object of their own (always in class A). */
  input?: (c: Ctx) => unknown;
  /** Puts the school back after an allowed call changed what later calls rely on. */
  after?: (c: Ctx) => Promise<void>;
}

const admin = (c: Ctx) => c.cp.caller(c.s.users.admin);
const teacher = (c: Ctx) => c.cp.caller(c.s.users.instructor);
const freshLab = async (c: Ctx) => admin(c).lab.create({ name: unique("Lab "), rows: 1, cols: 2 });
/** A new device in Room 101 (not on a seat). */
const freshDevice = (c: Ctx) =>
  c.cp.db.prisma.device.create({
    data: { name: unique("pc-"), hostname: unique("pc-"), labId: c.s.lab.id },
    select: { id: true },
  });
/** A lab class A's instructor made: theirs to change. */
const teachersLab = async (c: Ctx) => teacher(c).lab.create({ name: unique("Lab "), rows: 1, cols: 2 });
const freshUser = async (c: Ctx, role: "student" | "instructor") => {
  const u = await c.cp.user(role);
  await c.cp.db.prisma.user.update({ where: { id: u.id }, data: { username: unique(`${role}-`) } });
  return u;
};
const freshStudentOfA = async (c: Ctx) => {
  const u = await freshUser(c, "student");
  await c.cp.db.prisma.classStudent.create({ data: { classId: c.s.classA.id, userId: u.id } });
  return u.id;
};
const freshSessionOfA = async (c: Ctx, status: "scheduled" | "active") => {
  const now = Date.now();
  const row = await c.cp.db.prisma.labSession.create({
    data: {
      classId: c.s.classA.id,
      labId: (await freshLab(c)).id,
      title: unique("Session "),
      startsAt: new Date(now + (status === "active" ? -60_000 : 3_600_000)),
      endsAt: new Date(now + 7_200_000),
      status,
      ...(status === "active" ? { startedAt: new Date(now - 60_000) } : {}),
    },
  });
  return row.id;
};
const freshAssignmentOfA = async (c: Ctx, published: boolean) => {
  const a = await teacher(c).assignment.create({ classId: c.s.classA.id, ...assignmentFields([c.s.versionId]) });
  if (published) await teacher(c).assignment.publish({ id: a.id });
  return a.id;
};
const freshWebhook = async (c: Ctx) =>
  (await admin(c).webhook.create({ name: unique("hook "), url: "http://127.0.0.1:9/hook" })).id;
/** A deployment to device B of a fresh model; with `previous`, one that replaced an earlier version of it. */
const freshDeployment = async (c: Ctx, previous = false) => {
  const m = await createModel(c.cp, { variants: ["fp32", "int8"] });
  const target = { kind: "devices" as const, deviceIds: [c.s.devices.b.id] };
  if (previous) await admin(c).deployment.create({ versionId: m.versions[1]?.id as string, target });
  const d = await admin(c).deployment.create({ versionId: m.versions[0]?.id as string, target });
  return d.id;
};
const spec = { kind: "benchmark" as const, iterations: 10 };

/** Who may call what. Keys are the procedures' paths; the test fails for a procedure missing here. */
const MATRIX: Record<string, Row> = {
  "user.me": { expect: SIGNED_IN },
  "user.list": { expect: ADMIN, input: () => ({}) },
  "user.create": { expect: ADMIN, input: () => ({ name: "New Person", username: unique("person_"), role: "student" }) },
  "user.setRole": {
    expect: ADMIN,
    input: async (c) => ({ userId: (await freshUser(c, "student")).id, role: "student" }),
  },
  "user.resetPassword": { expect: ADMIN, input: async (c) => ({ userId: (await freshUser(c, "student")).id }) },

  "device.history": { expect: ROOM, input: (c) => ({ id: c.s.devices.a.id, range: "hour" }) },
  "device.attributes": { expect: STAFF },
  "device.addTag": { expect: ROOM, input: (c) => ({ id: c.s.devices.b.id, tag: "matrix" }) },
  "device.removeTag": { expect: ROOM, input: (c) => ({ id: c.s.devices.b.id, tag: "matrix" }) },
  "device.list": { expect: STAFF },
  "device.get": { expect: ROOM, input: (c) => ({ id: c.s.devices.a.id }) },
  "device.rename": { expect: ROOM, input: async (c) => ({ id: (await freshDevice(c)).id, name: "Renamed" }) },
  "device.revoke": { expect: ROOM, input: async (c) => ({ id: (await freshDevice(c)).id }) },
  "device.rotateCredential": { expect: ROOM, input: async (c) => ({ id: (await freshDevice(c)).id }) },

  "enrollmentToken.list": { expect: STAFF },
  // An instructor's token names a lab they use.
  "enrollmentToken.create": {
    expect: ROOM,
    input: (c) => ({ label: unique("token "), expiresInHours: 1, maxUses: 1, labId: c.s.lab.id }),
  },
  // An instructor revokes the tokens they made (this one is class A's instructor's); an admin any.
  "enrollmentToken.revoke": {
    expect: ROOM,
    input: async (c) => ({
      id: (
        await teacher(c).enrollmentToken.create({
          label: unique("t"),
          expiresInHours: 1,
          maxUses: 1,
          labId: c.s.lab.id,
        })
      ).id,
    }),
  },

  "alert.list": { expect: STAFF, input: () => ({}) },
  "alert.get": { expect: ROOM, input: (c) => ({ id: c.s.alert.id }) },
  "alert.counts": { expect: STAFF },
  "alert.acknowledge": {
    expect: ROOM,
    input: async (c) => ({
      id: (
        await c.cp.db.prisma.alert.create({
          data: { deviceId: c.s.devices.a.id, kind: "cpu_temp", state: "firing", message: "hot" },
        })
      ).id,
    }),
  },

  "alertRule.list": { expect: STAFF, input: () => ({ labId: null }) },
  "alertRule.labs": { expect: STAFF },
  "alertRule.update": {
    expect: ROOM,
    input: (c) => ({ labId: c.s.lab.id, kind: "cpu_temp", threshold: 85, forS: 60, enabled: true }),
  },
  "alertRule.reset": { expect: ROOM, input: (c) => ({ labId: c.s.lab.id, kind: "cpu_temp" }) },

  "webhook.list": { expect: ADMIN },
  "webhook.create": { expect: ADMIN, input: () => ({ name: unique("hook "), url: "http://127.0.0.1:9/hook" }) },
  "webhook.update": {
    expect: ADMIN,
    input: async (c) => ({ id: await freshWebhook(c), name: "renamed", url: "http://127.0.0.1:9/x", enabled: false }),
  },
  "webhook.rotateSecret": { expect: ADMIN, input: async (c) => ({ id: await freshWebhook(c) }) },
  "webhook.delete": { expect: ADMIN, input: async (c) => ({ id: await freshWebhook(c) }) },
  "webhook.test": { expect: ADMIN, input: (c) => ({ id: c.s.webhook.id }) },
  "webhook.deliveries": { expect: ADMIN, input: () => ({}) },

  "settings.metricsStatus": { expect: ADMIN },
  "settings.rotateMetricsToken": { expect: ADMIN },
  "settings.disableMetrics": { expect: ADMIN },

  "lab.list": { expect: STAFF },
  "lab.get": { expect: ROOM, input: (c) => ({ id: c.s.lab.id }) },
  "lab.create": { expect: STAFF, input: () => ({ name: unique("Lab "), rows: 1, cols: 1 }) },
  "lab.choices": { expect: STAFF },
  "lab.update": { expect: ROOM, input: async (c) => ({ id: (await teachersLab(c)).id, name: unique("Lab ") }) },
  "lab.delete": { expect: ROOM, input: async (c) => ({ id: (await teachersLab(c)).id }) },
  "lab.placeDevice": {
    expect: ROOM,
    input: async (c) => ({ labId: (await teachersLab(c)).id, seatLabel: "A1", deviceId: (await freshDevice(c)).id }),
  },
  "lab.unplaceDevice": {
    expect: ROOM,
    input: async (c) => {
      const deviceId = (await freshDevice(c)).id;
      await admin(c).lab.placeDevice({ labId: (await teachersLab(c)).id, seatLabel: "A1", deviceId });
      return { deviceId };
    },
  },

  "model.list": { expect: STAFF },
  "model.get": { expect: STAFF, input: (c) => ({ id: c.s.model.modelId }) },
  "model.update": { expect: STAFF, input: (c) => ({ id: c.s.model.modelId, description: "Updated." }) },
  "model.remove": { expect: STAFF, input: async (c) => ({ id: (await createModel(c.cp)).modelId }) },

  "deployment.checkFit": {
    expect: ROOM,
    input: (c) => ({ versionId: c.s.versionId, target: { kind: "devices", deviceIds: [c.s.devices.b.id] } }),
  },
  "deployment.create": {
    expect: ROOM,
    input: async (c) => ({
      versionId: (await createModel(c.cp)).versions[0]?.id,
      target: { kind: "devices", deviceIds: [c.s.devices.b.id] },
    }),
  },
  "deployment.list": { expect: STAFF, input: () => ({}) },
  "deployment.get": { expect: ROOM, input: (c) => ({ id: c.s.deployment.id }) },
  "deployment.rollback": { expect: ROOM, input: async (c) => ({ id: await freshDeployment(c, true) }) },
  "deployment.remove": { expect: ROOM, input: async (c) => ({ id: await freshDeployment(c) }) },

  "run.start": { expect: ROOM, input: (c) => ({ versionId: c.s.versionId, deviceId: c.s.devices.b.id, spec }) },
  "run.startRoom": { expect: ROOM, input: (c) => ({ versionId: c.s.versionId, labId: c.s.lab.id, spec }) },
  "run.cancel": {
    expect: ROOM,
    input: async (c) => ({
      id: (
        await c.cp.db.prisma.run.create({
          data: { deviceId: c.s.devices.b.id, versionId: c.s.versionId, kind: "benchmark", spec, status: "queued" },
        })
      ).id,
    }),
  },
  "run.list": { expect: SIGNED_IN, input: () => ({}) },
  "run.get": { expect: VIEW, input: (c) => ({ id: c.s.studentRun.id }) },
  "run.group": { expect: ROOM, input: (c) => ({ id: c.s.groupId }) },
  "run.compare": { expect: VIEW, input: (c) => ({ ids: [c.s.studentRun.id] }) },

  "class.list": { expect: SIGNED_IN },
  "class.get": { expect: VIEW, input: (c) => ({ classId: c.s.classA.id }) },
  "class.create": { expect: STAFF, input: () => ({ name: unique("Class "), term: "Spring 2026" }) },
  "class.update": { expect: TEACH, input: (c) => ({ id: c.s.classA.id, name: "Edge AI A" }) },
  "class.addInstructor": {
    expect: TEACH,
    input: async (c) => ({ classId: c.s.classA.id, user: (await freshUser(c, "instructor")).email }),
  },
  "class.removeInstructor": {
    expect: TEACH,
    input: async (c) => {
      const u = await freshUser(c, "instructor");
      await c.cp.db.prisma.classInstructor.create({ data: { classId: c.s.classA.id, userId: u.id } });
      return { classId: c.s.classA.id, userId: u.id };
    },
  },
  "class.regenerateJoinCode": { expect: TEACH, input: (c) => ({ classId: c.s.classA.id }) },
  // Only student accounts join with a code; each call joins a class of its own, so class A's roster stays as it is.
  "class.join": {
    expect: e({ otherStudent: OK, student: OK, otherInstructor: F, instructor: F, admin: F }),
    input: async (c) => ({ code: (await admin(c).class.create({ name: unique("Join "), term: "T" })).joinCode }),
  },
  "class.roster": { expect: TEACH, input: (c) => ({ classId: c.s.classA.id }) },
  "class.removeStudent": {
    expect: TEACH,
    input: async (c) => ({ classId: c.s.classA.id, studentId: await freshStudentOfA(c) }),
  },
  "class.importPreview": { expect: TEACH, input: (c) => ({ classId: c.s.classA.id, csv: "name\nZed Zulu\n" }) },
  "class.importCommit": {
    expect: TEACH,
    input: (c) => ({ classId: c.s.classA.id, csv: `name,username\nZed Zulu,${unique("zed")}\n` }),
  },
  "class.resetCredentials": {
    expect: TEACH,
    input: async (c) => ({ classId: c.s.classA.id, studentId: await freshStudentOfA(c) }),
  },

  "labSession.schedule": {
    expect: TEACH,
    input: async (c) => ({
      classId: c.s.classA.id,
      labId: (await freshLab(c)).id,
      title: "Later",
      startsAt: new Date(Date.now() + 86_400_000),
      endsAt: new Date(Date.now() + 90_000_000),
    }),
  },
  "labSession.list": { expect: VIEW, input: (c) => ({ classId: c.s.classA.id }) },
  "labSession.mine": { expect: SIGNED_IN },
  "labSession.get": { expect: VIEW, input: (c) => ({ id: c.s.session.id }) },
  "labSession.start": { expect: TEACH, input: async (c) => ({ id: await freshSessionOfA(c, "scheduled") }) },
  "labSession.end": { expect: TEACH, input: async (c) => ({ id: await freshSessionOfA(c, "active") }) },
  "labSession.cancel": { expect: TEACH, input: async (c) => ({ id: await freshSessionOfA(c, "scheduled") }) },
  "labSession.reschedule": {
    expect: TEACH,
    input: async (c) => ({
      id: await freshSessionOfA(c, "scheduled"),
      startsAt: new Date(Date.now() + 86_400_000),
      endsAt: new Date(Date.now() + 90_000_000),
    }),
  },
  "labSession.checkIn": {
    expect: STUDENT_OWN,
    input: (c) => ({ sessionId: c.s.session.id, seatCode: c.s.seatCode }),
  },
  "labSession.checkOut": {
    expect: STUDENT_OWN,
    input: (c) => ({ sessionId: c.s.session.id }),
    // The student sits at seat A1 again for the calls that need it (runs, the device room).
    after: async (c) => {
      await c.cp.caller(c.s.users.student).labSession.checkIn({ sessionId: c.s.session.id, seatCode: c.s.seatCode });
    },
  },
  "labSession.raiseHand": { expect: STUDENT_OWN, input: (c) => ({ sessionId: c.s.session.id, note: "help" }) },
  "labSession.lowerHand": { expect: STUDENT_OWN, input: (c) => ({ sessionId: c.s.session.id }) },
  "labSession.answer": {
    expect: TEACH,
    input: async (c) => ({
      helpRequestId: (
        await c.cp.db.prisma.helpRequest.create({
          data: { sessionId: c.s.session.id, studentId: c.s.users.student.id, deviceId: c.s.devices.a.id },
        })
      ).id,
    }),
  },
  "labSession.seatCodes": { expect: ROOM, input: (c) => ({ labId: c.s.lab.id }) },

  "assignment.list": { expect: VIEW, input: (c) => ({ classId: c.s.classA.id }) },
  "assignment.get": { expect: VIEW, input: (c) => ({ id: c.s.assignment.id }) },
  "assignment.create": {
    expect: TEACH,
    input: (c) => ({ classId: c.s.classA.id, ...assignmentFields([c.s.versionId]) }),
  },
  "assignment.update": {
    expect: TEACH,
    input: async (c) => ({ id: await freshAssignmentOfA(c, true), ...assignmentFields([c.s.versionId]) }),
  },
  // A draft does not exist for students, even for the class's own: NOT_FOUND, as for outsiders.
  "assignment.publish": {
    expect: { ...TEACH, student: NF },
    input: async (c) => ({ id: await freshAssignmentOfA(c, false) }),
  },
  "assignment.unpublish": { expect: TEACH, input: async (c) => ({ id: await freshAssignmentOfA(c, true) }) },
  "assignment.delete": { expect: TEACH, input: async (c) => ({ id: await freshAssignmentOfA(c, true) }) },
  "assignment.mySeat": { expect: VIEW, input: (c) => ({ assignmentId: c.s.assignment.id }) },
  "assignment.startRun": {
    expect: STUDENT_OWN,
    input: (c) => ({ assignmentId: c.s.assignment.id, versionId: c.s.versionId }),
  },
  "assignment.myRuns": { expect: VIEW, input: (c) => ({ assignmentId: c.s.assignment.id }) },
  "assignment.submit": {
    expect: STUDENT_OWN,
    input: (c) => ({ assignmentId: c.s.assignment.id, runId: c.s.studentRun.id }),
  },
  "assignment.submissions": { expect: VIEW, input: (c) => ({ assignmentId: c.s.assignment.id }) },
  "assignment.override": {
    expect: TEACH,
    input: (c) => ({ submissionId: c.s.submission.id, score: 95, comment: "Well measured." }),
  },
  "assignment.gradebook": { expect: TEACH, input: (c) => ({ classId: c.s.classA.id }) },
  "assignment.exportCsv": { expect: TEACH, input: (c) => ({ classId: c.s.classA.id }) },
  "assignment.leaderboard": { expect: VIEW, input: (c) => ({ assignmentId: c.s.assignment.id }) },

  "audit.list": { expect: ADMIN, input: () => ({}) },
};

function procedures(): Array<{ path: string; type: "query" | "mutation" }> {
  const record = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: string } }> }).procedures;
  return Object.entries(record)
    .map(([path, p]) => ({ path, type: p._def.type as "query" | "mutation" }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

describe("authorization matrix", () => {
  let cp: TestControlPlane;
  let school: School;

  before(async () => {
    cp = await startTestControlPlane();
    school = await buildSchool(cp);
  });
  after(async () => {
    school?.close();
    await cp?.close();
  });

  test("every procedure of the router has a row, and every row a procedure", () => {
    const paths = procedures().map((p) => p.path);
    assert.deepEqual(
      paths.filter((p) => !(p in MATRIX)),
      [],
      "procedures without a row in the matrix: decide who may call them",
    );
    assert.deepEqual(
      Object.keys(MATRIX).filter((p) => !paths.includes(p)),
      [],
      "rows for procedures that no longer exist",
    );
  });

  test("every tRPC procedure, as each role, over HTTP", async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const { path, type } of procedures()) {
      const row = MATRIX[path];
      if (!row) continue;
      for (const role of ROLES) {
        const c: Ctx = { cp, s: school, role };
        const input = row.input ? await row.input(c) : undefined;
        const caller: HttpCaller =
          role === "device"
            ? {
                url: cp.url,
                // What a device holds: its id and secret. They must open nothing of the API.
                headers: { authorization: `Bearer ${school.devices.a.secret}`, "x-device-id": school.devices.a.id },
              }
            : { url: cp.url, cookie: school.cookies[role] };
        const answer = await callHttp(caller, path, type, input);
        calls++;
        const want = row.expect[role];
        const got = answer.ok ? OK : answer.code;
        if (LEAK.test(answer.body))
          wrong.push(`${path} as ${role}: the answer leaks internals: ${answer.body.slice(0, 300)}`);
        if (want === OK) {
          if (!answer.ok) wrong.push(`${path} as ${role}: expected success, got ${got} (${answer.message})`);
          if (answer.ok && row.after) await row.after(c);
        } else if (got !== want) {
          wrong.push(`${path} as ${role}: expected ${want}, got ${got} (${answer.ok ? "" : answer.message})`);
        }
      }
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${calls} calls answered wrongly`);
    assert.equal(calls, procedures().length * ROLES.length);
  });

  test("every socket event of /agent and /dashboard, as each role", async () => {
    const wrong = await checkSocketMatrix(cp, school);
    assert.deepEqual(wrong, []);
  });
});
