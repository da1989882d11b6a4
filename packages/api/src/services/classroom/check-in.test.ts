import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { createClass, createLab, HOUR, rejectsWith, window } from "./classroom-kit.ts";
import { ensureSeatCodes, newSeatCode, SEAT_CODE_ALPHABET, SEAT_CODE_LENGTH } from "./seat-codes.ts";

describe("seat codes, check-in and the help queue", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let outsider: TestUser;
  let cls: { id: string };
  let lab: { id: string; deviceIds: string[] };
  let otherLab: { id: string; deviceIds: string[] };
  let codes: string[];
  let otherCode: string;
  let sessionId: string;

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    alice = await cp.user("student");
    bob = await cp.user("student");
    carol = await cp.user("student");
    outsider = await cp.user("student");
    cls = await createClass(cp, [teacher], [alice, bob, carol]);
    await createClass(cp, [teacher], [outsider]);
    lab = await createLab(cp, teacher, 3);
    otherLab = await createLab(cp, teacher, 1);
    codes = (await cp.caller(teacher).labSession.seatCodes({ labId: lab.id })).codes.map((c) => c.seatCode);
    otherCode = (await cp.caller(teacher).labSession.seatCodes({ labId: otherLab.id })).codes[0]?.seatCode as string;
  });
  after(async () => {
    await cp.close();
  });

  test("every device gets a short unique code without look-alikes, given once and kept", async () => {
    assert.equal(new Set([...codes, otherCode]).size, 4);
    for (const c of [...codes, otherCode]) {
      assert.equal(c.length, SEAT_CODE_LENGTH);
      assert.ok(
        [...c].every((ch) => SEAT_CODE_ALPHABET.includes(ch)),
        c,
      );
    }
    for (const bad of "0O1IL2Z5S8BUVDQ") assert.ok(!SEAT_CODE_ALPHABET.includes(bad), bad);
    const again = await cp.caller(teacher).labSession.seatCodes({ labId: lab.id });
    assert.deepEqual(
      again.codes.map((c) => [c.seatLabel, c.seatCode]),
      codes.map((c, i) => [`A${i + 1}`, c]),
      "in seat order, and the same codes on a second read",
    );
    // A collision draws again rather than failing.
    const taken = codes[0] as string;
    let draws = 0;
    const rigged = (max: number) => {
      draws++;
      return draws <= SEAT_CODE_LENGTH ? SEAT_CODE_ALPHABET.indexOf(taken[draws - 1] as string) : draws % max;
    };
    assert.equal(newSeatCode(rigged), taken);
    const d = await cp.db.prisma.device.create({ data: { name: "late", hostname: "late" }, select: { id: true } });
    const drawn = [taken, "WWWWW"];
    await ensureSeatCodes(cp.db, [d.id], () => drawn.shift() ?? "XXXXX");
    const row = await cp.db.prisma.device.findUniqueOrThrow({ where: { id: d.id }, select: { seatCode: true } });
    assert.equal(row.seatCode, "WWWWW", "the taken code was drawn first, then a free one");
    await rejectsWith(cp.caller(alice).labSession.seatCodes({ labId: lab.id }), "FORBIDDEN");
  });

  test("check-in rules: session not active, wrong code, another lab's seat, not on the roster, a taken seat", async () => {
    const api = cp.caller(teacher).labSession;
    const s = await api.schedule({ classId: cls.id, labId: lab.id, title: "Check-ins", ...window(HOUR) });
    sessionId = s.id;
    const [c1, c2, c3] = codes as [string, string, string];
    const a = cp.caller(alice).labSession;
    await rejectsWith(a.checkIn({ sessionId, seatCode: c1 }), "CONFLICT", /not running \(scheduled\)/);
    await rejectsWith(a.checkIn({ seatCode: c1 }), "CONFLICT", /None of your classes has a session running/);
    await api.start({ id: sessionId });

    await rejectsWith(a.checkIn({ sessionId, seatCode: "XXXXX" }), "NOT_FOUND", /^No seat has that code\.$/);
    await rejectsWith(a.checkIn({ sessionId, seatCode: otherCode }), "NOT_FOUND", /^No seat has that code\.$/);
    await rejectsWith(a.checkIn({ seatCode: otherCode }), "NOT_FOUND", /^No seat has that code\.$/);
    await rejectsWith(a.checkIn({ sessionId, seatCode: "" }), "BAD_REQUEST");
    await rejectsWith(cp.caller(outsider).labSession.checkIn({ sessionId, seatCode: c1 }), "NOT_FOUND");
    await rejectsWith(cp.caller(teacher).labSession.checkIn({ sessionId, seatCode: c1 }), "FORBIDDEN");

    // Case, spaces and dashes do not matter; the session is found from the seat's lab.
    const typed = `${c1.slice(0, 2).toLowerCase()}-${c1.slice(2).toLowerCase()} `;
    const first = await a.checkIn({ seatCode: typed });
    assert.deepEqual(
      [first.sessionId, first.deviceId, first.seatLabel, first.movedFromDeviceId],
      [sessionId, lab.deviceIds[0], "A1", null],
    );
    await rejectsWith(
      cp.caller(bob).labSession.checkIn({ sessionId, seatCode: c1 }),
      "CONFLICT",
      /already checked in to this seat/,
    );
    await cp.caller(bob).labSession.checkIn({ sessionId, seatCode: c2 });
    // Checking in again to the same seat is harmless; moving updates the one row.
    await a.checkIn({ sessionId, seatCode: c1 });
    const moved = await a.checkIn({ sessionId, seatCode: c3 });
    assert.equal(moved.movedFromDeviceId, lab.deviceIds[0]);
    const rows = await cp.db.prisma.sessionCheckIn.findMany({ where: { sessionId, studentId: alice.id } });
    assert.deepEqual(
      rows.map((r) => r.deviceId),
      [lab.deviceIds[2]],
    );
    // A1 is free again: Carol takes it.
    await cp.caller(carol).labSession.checkIn({ sessionId, seatCode: c1 });

    const teacherView = await api.get({ id: sessionId });
    assert.equal(teacherView.viewer, "teacher");
    if (teacherView.viewer === "teacher") {
      assert.deepEqual(
        teacherView.checkIns.map((c) => [c.studentId, c.seatLabel]).sort(),
        [
          [alice.id, "A3"],
          [bob.id, "A2"],
          [carol.id, "A1"],
        ].sort(),
      );
    }
    const own = await cp.caller(bob).labSession.get({ id: sessionId });
    assert.equal(own.viewer, "student");
    assert.ok(!("checkIns" in own) && !("helpQueue" in own), "a student sees no one else");
    assert.equal(own.viewer === "student" && own.myCheckIn?.seatLabel, "A2");
    assert.equal(own.viewer === "student" && own.myCheckIn?.seatCode, c2);

    assert.deepEqual(await cp.caller(carol).labSession.checkOut({ sessionId }), { checkedOut: true });
    assert.deepEqual(await cp.caller(carol).labSession.checkOut({ sessionId }), { checkedOut: false });
    const carolView = await cp.caller(carol).labSession.get({ id: sessionId });
    assert.equal(carolView.viewer === "student" && carolView.myCheckIn, null);
    await cp.caller(bob).labSession.checkIn({ sessionId, seatCode: c1 });

    // Two students typing the same free seat's code at once: exactly one gets it.
    const dave = await cp.user("student");
    const erin = await cp.user("student");
    await cp.db.prisma.classStudent.createMany({
      data: [dave, erin].map((u) => ({ classId: cls.id, userId: u.id })),
    });
    const race = await Promise.allSettled(
      [dave, erin].map((u) => cp.caller(u).labSession.checkIn({ sessionId, seatCode: c2 })),
    );
    assert.deepEqual(race.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const onC2 = await cp.db.prisma.sessionCheckIn.count({
      where: { sessionId, deviceId: lab.deviceIds[1], checkedOutAt: null },
    });
    assert.equal(onC2, 1);
    for (const u of [dave, erin]) await cp.caller(u).labSession.checkOut({ sessionId });
  });

  test("the help queue: in the order raised, one open hand per student, answered by the teacher", async () => {
    const api = cp.caller(teacher).labSession;
    const bobHand = await cp.caller(bob).labSession.raiseHand({ sessionId, note: "model will not load" });
    assert.equal(bobHand.position, 1);
    assert.equal(bobHand.seatLabel, "A1");
    const aliceHand = await cp.caller(alice).labSession.raiseHand({ sessionId });
    assert.equal(aliceHand.position, 2);
    // A double click: one hand, not two.
    await Promise.all([1, 2].map(() => cp.caller(bob).labSession.raiseHand({ sessionId })));
    assert.equal(await cp.db.prisma.helpRequest.count({ where: { sessionId, studentId: bob.id } }), 1);
    const again = await cp.caller(bob).labSession.raiseHand({ sessionId, note: "still stuck" });
    assert.equal(again.id, bobHand.id, "a second raise returns the open hand");
    assert.equal(again.note, "model will not load");
    const carolHand = await cp.caller(carol).labSession.raiseHand({ sessionId });
    assert.equal(carolHand.seatLabel, null, "not checked in: no seat to mark");
    await rejectsWith(cp.caller(teacher).labSession.raiseHand({ sessionId }), "FORBIDDEN");
    await rejectsWith(cp.caller(outsider).labSession.raiseHand({ sessionId }), "NOT_FOUND");

    let view = await api.get({ id: sessionId });
    assert.deepEqual(view.viewer === "teacher" && view.helpQueue.map((h) => [h.studentId, h.position]), [
      [bob.id, 1],
      [alice.id, 2],
      [carol.id, 3],
    ]);
    const aliceView = await cp.caller(alice).labSession.get({ id: sessionId });
    assert.equal(aliceView.viewer === "student" && aliceView.myHand?.position, 2);

    await rejectsWith(cp.caller(alice).labSession.answer({ helpRequestId: bobHand.id }), "FORBIDDEN");
    const stranger = await cp.user("instructor");
    await rejectsWith(cp.caller(stranger).labSession.answer({ helpRequestId: bobHand.id }), "NOT_FOUND");
    await api.answer({ helpRequestId: bobHand.id });
    await rejectsWith(api.answer({ helpRequestId: bobHand.id }), "CONFLICT", /already down/);
    assert.deepEqual(await cp.caller(carol).labSession.lowerHand({ sessionId }), { lowered: true });
    assert.deepEqual(await cp.caller(carol).labSession.lowerHand({ sessionId }), { lowered: false });

    view = await api.get({ id: sessionId });
    assert.deepEqual(view.viewer === "teacher" && view.helpQueue.map((h) => [h.studentId, h.position]), [
      [alice.id, 1],
    ]);
    const bobRow = await cp.db.prisma.helpRequest.findUniqueOrThrow({ where: { id: bobHand.id } });
    assert.equal(bobRow.resolution, "answered");
    assert.equal(bobRow.answeredById, teacher.id);
    // Bob may raise a new hand after the first was answered; it goes to the back of the queue.
    const second = await cp.caller(bob).labSession.raiseHand({ sessionId });
    assert.notEqual(second.id, bobHand.id);
    assert.equal(second.position, 2);
  });
});
