import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { freeUsername, parseRosterCsv, usernameBase } from "./roster-csv.ts";

describe("roster CSV: what a file says on its own", () => {
  test("spreadsheet exports: BOM, semicolons, quoted commas and line breaks, header aliases, blank lines", () => {
    const csv = '\uFEFFFull Name;E-mail;Student Number\n"Lovelace, Ada";ADA@Example.org;S-1\n\n"Grace\nHopper";;S-2\n';
    const parsed = parseRosterCsv(csv);
    assert.deepEqual(parsed.fileProblems, []);
    assert.deepEqual(parsed.columns, { name: "Full Name", email: "E-mail", studentId: "Student Number" });
    assert.deepEqual(
      parsed.rows.map((r) => [r.row, r.name, r.email, r.studentId, r.username, r.problems]),
      [
        [1, "Lovelace, Ada", "ada@example.org", "S-1", null, []],
        [2, "Grace\nHopper", null, "S-2", null, []],
      ],
    );
  });

  test("each row problem is reported with its reason", () => {
    const csv = [
      "name,username,email,student id,shoe size",
      ",nameless,,",
      ",,,",
      `${"x".repeat(121)},,,`,
      "Bad Mail,,not-an-email,",
      "Dup One,dup.user,a@example.org,7",
      "Dup Two,DUP.USER,A@example.org,7",
      "Bad Chars,no spaces!,,",
      "Short,ab,,",
      `Long Id,,,${"9".repeat(65)}`,
      "Extra,,,,,surplus",
      "Fine,,,",
    ].join("\n");
    const parsed = parseRosterCsv(csv);
    assert.deepEqual(parsed.fileProblems, []);
    assert.deepEqual(parsed.warnings, ['Ignored column: "shoe size".']);
    const problems = parsed.rows.map((r) => r.problems.join(" | "));
    assert.match(problems[0] ?? "", /name is missing/);
    assert.match(problems[1] ?? "", /longer than 120/);
    assert.match(problems[2] ?? "", /"not-an-email" is not a valid e-mail/);
    assert.equal(problems[3], "");
    assert.match(problems[4] ?? "", /username "dup.user" is also on row 4/);
    assert.match(problems[4] ?? "", /e-mail "a@example.org" is also on row 4/);
    assert.match(problems[4] ?? "", /student id "7" is also on row 4/);
    assert.match(problems[5] ?? "", /only letters, digits, dots and underscores/);
    assert.match(problems[6] ?? "", /shorter than 3/);
    assert.match(problems[7] ?? "", /student id is longer than 64/);
    assert.match(problems[8] ?? "", /stray comma/);
    assert.equal(problems[9], "");
  });

  test("file problems: empty, header only, no name column, a column twice, too many rows, an open quote", () => {
    assert.match(parseRosterCsv("").fileProblems[0] ?? "", /empty/);
    assert.match(parseRosterCsv(" \n\n").fileProblems[0] ?? "", /empty/);
    assert.match(parseRosterCsv("name,email\n").fileProblems[0] ?? "", /no students/);
    assert.match(parseRosterCsv("email\na@example.org").fileProblems[0] ?? "", /no "name" column/);
    assert.match(parseRosterCsv("name,Full name\nA,B").fileProblems[0] ?? "", /name column appears twice/);
    const big = `name\n${Array.from({ length: 2001 }, (_, i) => `Student ${i}`).join("\n")}`;
    assert.match(parseRosterCsv(big).fileProblems[0] ?? "", /2001 rows; at most 2000/);
    const exactly = `name\n${Array.from({ length: 2000 }, (_, i) => `Student ${i}`).join("\n")}`;
    assert.deepEqual(parseRosterCsv(exactly).fileProblems, []);
    assert.match(parseRosterCsv('name\n"Ada\nGrace').fileProblems[0] ?? "", /quoted field/);
  });

  test("usernames made from names: accents, apostrophes, other scripts, length; suffixes when taken", () => {
    assert.equal(usernameBase("Zoë O'Brien-Smith"), "zoe.obrien.smith");
    assert.equal(usernameBase("  Ada   LOVELACE "), "ada.lovelace");
    assert.equal(usernameBase("李雷"), "student");
    assert.ok(usernameBase("A".repeat(100)).length <= 26);
    assert.equal(freeUsername("ada", new Set()), "ada");
    assert.equal(freeUsername("ada", new Set(["ada", "ada2"])), "ada3");
    assert.equal(freeUsername("li", new Set(["li1"])), "li2", "a base under 3 characters always takes a suffix");
    assert.equal(freeUsername("x", new Set()), "x10");
  });
});
