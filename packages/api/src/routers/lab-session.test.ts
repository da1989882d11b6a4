import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClass, createLab, rejectsWith, window } from "../services/classroom/classroom-kit.ts";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";

/** Authorization of every labSession procedure, for each kind of caller who must be refused. */
describe("labSession router: who may call what", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let student: TestUser;
  let otherTeacher: TestUser;
  let otherStudent: TestUser;
  let classId: string;
  let labId: string;
  let sessionId: string;
  let helpRequestId: string;
  let seatCode: string;

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    student = await cp.user("student");
    otherTeacher = await cp.user("instructor");
    otherStudent = await cp.user("student");
    classId = (await createClass(cp, [teacher], [student])).id;
    await createClass(cp, [otherTeacher], [otherStudent]);
    const lab = await createLab(cp, teacher, 1);
    labId = lab.id;
    const api = cp.caller(teacher).labSession;
    sessionId = (await api.schedule({ classId, labId, title: "Authz", ...window() })).id;
    await api.start({ id: sessionId });
    seatCode = (await api.seatCodes({ labId })).codes[0]?.seatCode as string;
    await cp.caller(student).labSession.checkIn({ sessionId, seatCode });
    helpRequestId = (await cp.caller(student).labSession.raiseHand({ sessionId })).id;
  });
  after(async () => {
    await cp.close();
  });

  const calls = (u: TestUser | null) => {
    const api = cp.caller(u).labSession;
    return {
      schedule: () => api.schedule({ classId, labId, title: "x", ...window() }),
      list: () => api.list({ classId }),
      get: () => api.get({ id: sessionId }),
      start: () => api.start({ id: sessionId }),
      end: () => api.end({ id: sessionId }),
      cancel: () => api.cancel({ id: sessionId }),
      checkIn: () => api.checkIn({ sessionId, seatCode }),
      checkOut: () => api.checkOut({ sessionId }),
      raiseHand: () => api.raiseHand({ sessionId }),
      lowerHand: () => api.lowerHand({ sessionId }),
      answer: () => api.answer({ helpRequestId }),
      seatCodes: () => api.seatCodes({ labId }),
    };
  };

  test("anonymous callers are refused everywhere", async () => {
    for (const [name, call] of Object.entries(calls(null))) {
      await rejectsWith(call(), "UNAUTHORIZED", undefined).catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
  });

  test("an instructor of another class learns nothing about this one", async () => {
    const c = calls(otherTeacher);
    for (const name of ["schedule", "list", "get", "start", "end", "cancel", "answer"] as const) {
      await rejectsWith(c[name](), "NOT_FOUND").catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
    for (const name of ["checkIn", "checkOut", "raiseHand", "lowerHand"] as const) {
      await rejectsWith(c[name](), "FORBIDDEN").catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
  });

  test("a student of another class cannot see or join this class's session", async () => {
    const c = calls(otherStudent);
    for (const name of ["schedule", "list", "get", "start", "end", "cancel", "answer", "checkOut"] as const) {
      await rejectsWith(c[name](), "NOT_FOUND").catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
    await rejectsWith(c.checkIn(), "NOT_FOUND");
    await rejectsWith(c.raiseHand(), "NOT_FOUND");
    await rejectsWith(c.lowerHand(), "NOT_FOUND");
    await rejectsWith(c.seatCodes(), "FORBIDDEN");
  });

  test("the class's student sees the session but may not run it", async () => {
    const c = calls(student);
    for (const name of ["schedule", "start", "end", "cancel", "answer", "seatCodes"] as const) {
      await rejectsWith(c[name](), "FORBIDDEN").catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
    const view = await c.get();
    assert.equal(view.viewer, "student");
    assert.equal((await c.list()).length, 1);
    // Nothing above changed the session.
    const row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: sessionId } });
    assert.equal(row.status, "active");
    assert.equal(await cp.db.prisma.helpRequest.count({ where: { id: helpRequestId, answeredAt: null } }), 1);
  });
});
