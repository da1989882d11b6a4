import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { SessionUpdated } from "@labfleet/protocol";
import { createClass, createLab, HOUR, rejectsWith, window } from "../services/classroom/classroom-kit.ts";
import { eventually, startTestControlPlane, type TestControlPlane, type TestUser } from "../testing/harness.ts";
import { connectDashboard } from "../testing/sockets.ts";

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
      reschedule: () => api.reschedule({ id: sessionId, ...window(2 * HOUR) }),
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
    for (const name of ["schedule", "list", "get", "start", "end", "cancel", "reschedule", "answer"] as const) {
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
    const refused = ["schedule", "list", "get", "start", "end", "cancel", "reschedule", "answer", "checkOut"] as const;
    for (const name of refused) {
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
    for (const name of ["schedule", "start", "end", "cancel", "reschedule", "answer", "seatCodes"] as const) {
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

  test("reschedule moves a scheduled session, with the scheduling checks, audited, and tells the class", async () => {
    const api = cp.caller(teacher).labSession;
    const first = window(24 * HOUR);
    const s = await api.schedule({ classId, labId, title: "Movable", ...first });
    const studentSocket = await connectDashboard(cp.url, await cp.cookieFor(student));
    const heard: SessionUpdated[] = [];
    studentSocket.on("session:updated", (u) => heard.push(u));
    try {
      const bad = [
        [{ startsAt: first.startsAt, endsAt: first.startsAt }, /end must be after the start/],
        [{ startsAt: first.startsAt, endsAt: new Date(first.startsAt.getTime() - 60_000) }, /end must be after/],
        [{ startsAt: first.startsAt, endsAt: new Date(first.startsAt.getTime() + 13 * HOUR) }, /at most 12 hours/],
      ] as const;
      for (const [w, message] of bad) await rejectsWith(api.reschedule({ id: s.id, ...w }), "BAD_REQUEST", message);
      await rejectsWith(api.reschedule({ id: "no-such-session", ...first }), "NOT_FOUND");
      let row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: s.id } });
      assert.deepEqual([row.startsAt, row.endsAt], [first.startsAt, first.endsAt], "a refused move changes nothing");

      const moved = window(48 * HOUR, 2 * HOUR);
      const out = await api.reschedule({ id: s.id, ...moved });
      assert.deepEqual([out.id, out.status, out.title], [s.id, "scheduled", "Movable"]);
      assert.deepEqual([out.startsAt, out.endsAt], [moved.startsAt, moved.endsAt]);
      row = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id: s.id } });
      assert.deepEqual([row.startsAt, row.endsAt], [moved.startsAt, moved.endsAt]);
      const listed = (await cp.caller(student).labSession.list({ classId })).find((x) => x.id === s.id);
      assert.deepEqual([listed?.startsAt, listed?.endsAt], [moved.startsAt, moved.endsAt]);
      await eventually(() => heard.some((u) => u.sessionId === s.id));

      const audit = await cp.db.prisma.auditLog.findMany({ where: { action: "session.reschedule", targetId: s.id } });
      assert.equal(audit.length, 1, "one entry for the one move that happened");
      assert.deepEqual([audit[0]?.actorId, audit[0]?.targetType], [teacher.id, "session"]);

      // Started, ended or cancelled: the window is history (or void) and stays as it was.
      await rejectsWith(api.reschedule({ id: sessionId, ...moved }), "CONFLICT", /active; only a scheduled session/);
      const lab2 = await createLab(cp, teacher, 1);
      const ended = await api.schedule({ classId, labId: lab2.id, title: "Over", ...window() });
      await api.start({ id: ended.id });
      await api.end({ id: ended.id });
      await rejectsWith(api.reschedule({ id: ended.id, ...moved }), "CONFLICT", /ended; only a scheduled session/);
      const cancelled = await api.schedule({ classId, labId, title: "Off", ...first });
      await api.cancel({ id: cancelled.id });
      await rejectsWith(api.reschedule({ id: cancelled.id, ...moved }), "CONFLICT", /cancelled; only a scheduled/);
      for (const id of [sessionId, ended.id, cancelled.id]) {
        const kept = await cp.db.prisma.labSession.findUniqueOrThrow({ where: { id } });
        assert.notEqual(kept.startsAt.getTime(), moved.startsAt.getTime());
      }
      assert.equal(await cp.db.prisma.auditLog.count({ where: { action: "session.reschedule" } }), 1);
    } finally {
      studentSocket.close();
    }
  });
});
