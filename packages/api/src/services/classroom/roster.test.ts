import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestControlPlane, type TestControlPlane, type TestUser } from "../../testing/harness.ts";
import { rejectsWith } from "../../testing/trpc-assert.ts";
import { createUser } from "../users.ts";
import { PASSWORD_ALPHABET, PASSWORD_LENGTH } from "./credentials.ts";

describe("roster import: preview, all-or-nothing commit, credentials shown once, reset", () => {
  let cp: TestControlPlane;
  let teacher: TestUser;
  let classId: string;

  /** Signs in by username through the auth HTTP endpoint, as the login page does; the cookie, or null if refused. */
  async function signIn(username: string, password: string): Promise<string | null> {
    const res = await fetch(`${cp.url}/api/auth/sign-in/username`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1" },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    await res.json();
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  }

  async function sessionUserId(cookie: string): Promise<string | null> {
    const res = await fetch(`${cp.url}/api/auth/get-session`, { headers: { cookie } });
    const body = (await res.json()) as { user?: { id: string } } | null;
    return body?.user?.id ?? null;
  }

  const userCount = () => cp.db.prisma.user.count();

  before(async () => {
    cp = await startTestControlPlane();
    teacher = await cp.user("instructor");
    classId = (await cp.caller(teacher).class.create({ name: "Edge AI 101", term: "Fall 2026" })).id;
    // Accounts that the files below collide with.
    await createUser(cp.auth, {
      email: "grace@example.org",
      password: "grace-password",
      name: "Grace Hopper",
      username: "grace.hopper",
      role: "student",
    });
    await createUser(cp.auth, {
      email: "teacher.two@example.org",
      password: "teacher-password",
      name: "Teacher Two",
      username: "mr.two",
      role: "instructor",
    });
  });
  after(async () => {
    await cp.close();
  });

  test("the preview lists every problem against existing accounts and writes nothing", async () => {
    const before = await userCount();
    const csv = [
      "name,username,email,student id,homeroom",
      "Taken Mail,,grace@example.org,1",
      "Staff Name,mr.two,,2",
      "Grace Hopper,,,3",
      "Ada Lovelace,,,4",
      "Ada Lovelace,,,5",
      ",,lonely@example.org,6",
      "Existing Grace,GRACE.HOPPER,,7",
    ].join("\n");
    const preview = await cp.caller(teacher).class.importPreview({ classId, csv });
    assert.equal(preview.ok, false);
    assert.deepEqual(preview.warnings, ['Ignored column: "homeroom".']);
    const [taken, staff, generated, ada1, ada2, nameless, existing] = preview.rows;
    assert.match(
      taken?.problems.join() ?? "",
      /"grace@example.org" is already used by another account \(grace.hopper\)/,
    );
    assert.match(staff?.problems.join() ?? "", /belongs to an instructor or admin account/);
    // A name that matches an existing account's username gets a free suffix, as do repeated names in the file.
    assert.deepEqual(
      [generated?.username, generated?.usernameGenerated, generated?.action],
      ["grace.hopper2", true, "create"],
    );
    assert.deepEqual([ada1?.username, ada2?.username], ["ada.lovelace", "ada.lovelace2"]);
    assert.match(nameless?.problems.join() ?? "", /name is missing/);
    assert.equal(existing?.action, "existing");
    assert.equal(existing?.username, "grace.hopper");
    assert.match(existing?.warnings.join() ?? "", /existing account.*keeps its password/);
    assert.match(existing?.warnings.join() ?? "", /is named "Grace Hopper"/);
    assert.deepEqual(preview.counts, { rows: 7, create: 3, existing: 1, enrolled: 0, withProblems: 3 });
    assert.equal(await userCount(), before, "a preview creates no account");

    await rejectsWith(cp.caller(teacher).class.importCommit({ classId, csv }), "BAD_REQUEST", /Nothing was imported/);
    assert.equal(await userCount(), before, "a refused commit creates no account");
    assert.equal(await cp.db.prisma.classStudent.count({ where: { classId } }), 0);

    const empty = await cp.caller(teacher).class.importPreview({ classId, csv: "" });
    assert.equal(empty.ok, false);
    assert.match(empty.fileProblems[0] ?? "", /empty/);
    await rejectsWith(cp.caller(teacher).class.importCommit({ classId, csv: "" }), "BAD_REQUEST");
  });

  test("a clean file imports every row in one go; students sign in by username with the password shown once", async () => {
    const csv = [
      "Name,Username,Email,Student ID",
      "Ada Lovelace,,,S-100",
      "Alan Turing,ATuring,alan@example.org,S-101",
      "Grace Hopper,grace.hopper,,S-102",
    ].join("\n");
    const preview = await cp.caller(teacher).class.importPreview({ classId, csv });
    assert.equal(preview.ok, true, JSON.stringify(preview.rows.map((r) => r.problems)));
    const result = await cp.caller(teacher).class.importCommit({ classId, csv });
    assert.deepEqual([result.created, result.added, result.alreadyEnrolled], [2, 1, 0]);
    assert.deepEqual(
      result.credentials.map((c) => [c.name, c.username]),
      [
        ["Ada Lovelace", "ada.lovelace"],
        ["Alan Turing", "aturing"],
      ],
      "the existing account keeps its password and gets no new one",
    );
    for (const c of result.credentials) {
      assert.equal(c.password.length, PASSWORD_LENGTH);
      assert.ok(
        [...c.password].every((ch) => PASSWORD_ALPHABET.includes(ch)),
        c.password,
      );
    }
    assert.match(result.csv, /^class,name,username,password\r?\n/);
    assert.ok(result.csv.includes(`Edge AI 101,Ada Lovelace,ada.lovelace,${result.credentials[0]?.password}`));

    const roster = await cp.caller(teacher).class.roster({ classId });
    assert.deepEqual(
      roster.map((r) => [r.username, r.email, r.externalId]),
      [
        ["ada.lovelace", null, "S-100"],
        ["aturing", "alan@example.org", "S-101"],
        ["grace.hopper", "grace@example.org", "S-102"],
      ],
    );
    const ada = result.credentials[0];
    assert.ok(ada);
    const stored = await cp.db.prisma.account.findFirst({ where: { userId: ada.userId, providerId: "credential" } });
    assert.ok(stored?.password && !stored.password.includes(ada.password), "only a hash is stored");

    const cookie = await signIn("Ada.Lovelace", ada.password);
    assert.ok(cookie, "the student signs in with the generated password (username case does not matter)");
    assert.equal(await sessionUserId(cookie), ada.userId);
    assert.equal(await signIn("ada.lovelace", "wrong-password"), null);
    // The student now sees the class, as a student.
    const me = await cp.db.prisma.user.findUniqueOrThrow({ where: { id: ada.userId } });
    assert.equal(me.role, "student");
    const asStudent = cp.caller({ id: ada.userId, email: me.email, password: ada.password, role: "student" });
    assert.deepEqual(
      (await asStudent.class.list()).map((c) => c.id),
      [classId],
    );

    // The same file again: every row is recognised (by username or by student id) and nothing new is made.
    const again = await cp.caller(teacher).class.importPreview({ classId, csv });
    assert.equal(again.ok, true);
    assert.deepEqual(
      again.rows.map((r) => [r.username, r.action]),
      [
        ["ada.lovelace", "enrolled"],
        ["aturing", "enrolled"],
        ["grace.hopper", "enrolled"],
      ],
    );
    const second = await cp.caller(teacher).class.importCommit({ classId, csv });
    assert.deepEqual([second.created, second.added, second.alreadyEnrolled, second.credentials.length], [0, 0, 3, 0]);
    // Without a student id, a name already on the roster is pointed out before a second account is made.
    const namesake = await cp.caller(teacher).class.importPreview({ classId, csv: "name\nada lovelace" });
    assert.match(
      namesake.rows[0]?.warnings.join() ?? "",
      /already on the roster \(ada.lovelace\): this row makes a second/,
    );
    assert.equal(namesake.rows[0]?.username, "ada.lovelace2");
  });

  test("a failure half-way through the commit leaves no account, credential or roster row", async () => {
    // A real database failure on the last write of the transaction (the roster rows), after the accounts are written.
    await cp.db.prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
      BEGIN
        IF NEW.external_id = 'BOOM' THEN RAISE EXCEPTION 'refused by the test'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await cp.db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_boom BEFORE INSERT ON class_student FOR EACH ROW EXECUTE FUNCTION refuse_boom()`,
    );
    try {
      const users = await userCount();
      const accounts = await cp.db.prisma.account.count();
      const members = await cp.db.prisma.classStudent.count();
      const csv = "name,student id\nFirst Half,OK-1\nSecond Half,OK-2\nThe Last,BOOM";
      assert.equal((await cp.caller(teacher).class.importPreview({ classId, csv })).ok, true);
      await rejectsWith(cp.caller(teacher).class.importCommit({ classId, csv }), "INTERNAL_SERVER_ERROR");
      assert.equal(await userCount(), users);
      assert.equal(await cp.db.prisma.account.count(), accounts);
      assert.equal(await cp.db.prisma.classStudent.count(), members);
      assert.equal(await cp.db.prisma.user.count({ where: { username: { in: ["first.half", "second.half"] } } }), 0);
    } finally {
      await cp.db.prisma.$executeRawUnsafe("DROP TRIGGER refuse_boom ON class_student");
      await cp.db.prisma.$executeRawUnsafe("DROP FUNCTION refuse_boom()");
    }
  });

  test("an account created between preview and commit is refused with CONFLICT, and nothing is written", async () => {
    const csv = "name,username\nRace One,race.one\nRace Two,race.two";
    assert.equal((await cp.caller(teacher).class.importPreview({ classId, csv })).ok, true);
    await createUser(cp.auth, {
      email: "race.two@example.org",
      password: "race-two-password",
      name: "Someone Else",
      username: "race.two",
      role: "instructor",
    });
    await rejectsWith(cp.caller(teacher).class.importCommit({ classId, csv }), "BAD_REQUEST", /Nothing was imported/);
    assert.equal(await cp.db.prisma.user.count({ where: { username: "race.one" } }), 0);
  });

  test("reset: a new password works, the old one does not, and the student's sessions end", async () => {
    const { credentials } = await cp.caller(teacher).class.importCommit({ classId, csv: "name\nReset Me" });
    const student = credentials[0];
    assert.ok(student);
    const cookie = await signIn(student.username, student.password);
    assert.ok(cookie);
    assert.equal(await sessionUserId(cookie), student.userId);

    const reset = await cp.caller(teacher).class.resetCredentials({ classId, studentId: student.userId });
    assert.equal(reset.username, student.username);
    assert.notEqual(reset.password, student.password);
    assert.ok(reset.csv.includes(reset.password));
    assert.equal(await sessionUserId(cookie), null, "the old session is revoked");
    assert.equal(await signIn(student.username, student.password), null, "the old password no longer works");
    assert.ok(await signIn(student.username, reset.password), "the new password works");

    // Off the roster, the student is out of reach of this class's instructor.
    await cp.caller(teacher).class.removeStudent({ classId, studentId: student.userId });
    await rejectsWith(cp.caller(teacher).class.resetCredentials({ classId, studentId: student.userId }), "NOT_FOUND");
  });
});
