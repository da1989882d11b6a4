// Planning a roster import: the file, checked on its own and against the accounts and the roster, and what
// importing each row would do. Reads only; the preview shows the plan and the commit carries it out.
import type { Db } from "../deps.ts";
import { placeholderEmail } from "./credentials.ts";
import { freeUsername, parseRosterCsv, type RosterField, usernameBase } from "./roster-csv.ts";

/** create: a new account; existing: an existing student account joins the roster; enrolled: already on it. */
export type ImportAction = "create" | "existing" | "enrolled";

export interface PreviewRow {
  row: number;
  name: string;
  username: string | null;
  usernameGenerated: boolean;
  email: string | null;
  studentId: string | null;
  /** Null while the row has a problem. */
  action: ImportAction | null;
  problems: string[];
  warnings: string[];
}

export interface RosterPreview {
  ok: boolean;
  fileProblems: string[];
  warnings: string[];
  columns: Partial<Record<RosterField, string>>;
  rows: PreviewRow[];
  counts: { rows: number; create: number; existing: number; enrolled: number; withProblems: number };
}

export interface PlannedRow extends PreviewRow {
  existingUserId: string | null;
}

export interface Plan extends RosterPreview {
  rows: PlannedRow[];
}

const LOOKUP_CHUNK = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const userLookupSelect = { id: true, name: true, username: true, email: true, role: true } as const;

async function usersWhere(db: Db, field: "username" | "email", values: string[]) {
  const found = [];
  for (const part of chunks([...new Set(values)], LOOKUP_CHUNK)) {
    found.push(...(await db.prisma.user.findMany({ where: { [field]: { in: part } }, select: userLookupSelect })));
  }
  return found;
}

/** Every existing username that starts with one of the bases (for picking a free suffix). */
async function usernamesStartingWith(db: Db, bases: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const part of chunks([...new Set(bases)], LOOKUP_CHUNK)) {
    const rows = await db.prisma.user.findMany({
      where: { OR: part.map((b) => ({ username: { startsWith: b } })) },
      select: { username: true },
    });
    for (const r of rows) if (r.username) out.push(r.username);
  }
  return out;
}

/** The file, checked on its own and then against the accounts and the roster in the database. Writes nothing. */
/** An existing account named by username: a student joins the roster; a staff account is refused. */
async function matchUsernames(db: Db, classId: string, rows: PlannedRow[], enrolled: Set<string>): Promise<void> {
  const given = rows.flatMap((r) => (r.username ? [r.username] : []));
  const byUsername = new Map((await usersWhere(db, "username", given)).map((u) => [u.username ?? "", u]));
  const members = await db.prisma.classStudent.findMany({
    where: { classId, userId: { in: [...byUsername.values()].map((u) => u.id) } },
    select: { userId: true },
  });
  for (const m of members) enrolled.add(m.userId);
  for (const r of rows) {
    const u = r.username ? byUsername.get(r.username) : undefined;
    if (!u) continue;
    if (u.role !== "student") {
      r.problems.push(`The username "${r.username}" belongs to an instructor or admin account.`);
      continue;
    }
    r.existingUserId = u.id;
    if (enrolled.has(u.id)) r.warnings.push("Already on the roster: nothing to do.");
    else r.warnings.push("An existing account: it joins the roster and keeps its password.");
    if (r.name && u.name.toLowerCase() !== r.name.toLowerCase()) {
      r.warnings.push(`The existing account "${r.username}" is named "${u.name}".`);
    }
    if (r.email && r.email !== u.email) r.warnings.push("The e-mail is ignored: the existing account keeps its own.");
  }
}

/**
 * A row without a username is matched to the roster by its student id, so that importing the same file twice does
 * not make a second account; a name already on the roster is pointed out (twins exist, so it is not refused).
 */
async function matchRoster(db: Db, classId: string, rows: PlannedRow[], enrolled: Set<string>): Promise<void> {
  const roster = await db.prisma.classStudent.findMany({
    where: { classId },
    select: { userId: true, externalId: true, user: { select: { name: true, username: true } } },
  });
  const byExternalId = new Map(roster.flatMap((m) => (m.externalId ? [[m.externalId, m] as const] : [])));
  const byName = new Map(roster.map((m) => [m.user.name.toLowerCase(), m]));
  for (const r of rows) {
    if (r.username || r.name === "") continue;
    const member = r.studentId ? byExternalId.get(r.studentId) : undefined;
    if (member?.user.username) {
      r.username = member.user.username;
      r.existingUserId = member.userId;
      enrolled.add(member.userId);
      r.warnings.push(`Already on the roster as "${member.user.username}" (same student id): nothing to do.`);
      continue;
    }
    const namesake = byName.get(r.name.toLowerCase());
    if (namesake) {
      r.warnings.push(
        `"${namesake.user.name}" is already on the roster (${namesake.user.username ?? "no username"}): this row makes a second account.`,
      );
    }
  }
}

/** Usernames made from names avoid every account's username and every username the file gives or makes. */
async function generateUsernames(db: Db, rows: PlannedRow[]): Promise<void> {
  const needing = rows.filter((r) => !r.username && r.name !== "");
  const fromDb = await usernamesStartingWith(
    db,
    needing.map((r) => usernameBase(r.name)),
  );
  const taken = new Set<string>([...rows.flatMap((r) => (r.username ? [r.username] : [])), ...fromDb]);
  for (const r of needing) {
    const username = freeUsername(usernameBase(r.name), taken);
    if (!username) {
      r.problems.push("No free username could be made from this name: give one in a username column.");
      continue;
    }
    taken.add(username);
    r.username = username;
    r.usernameGenerated = true;
  }
}

/** An e-mail (or, without one, the placeholder made from the username) may belong to no other account. */
async function checkEmails(db: Db, rows: PlannedRow[]): Promise<void> {
  const emailOf = (r: PlannedRow) => (r.existingUserId ? r.email : (r.email ?? placeholderEmail(r.username ?? "")));
  const lookups = rows.flatMap((r) => {
    const email = r.username ? emailOf(r) : null;
    return email ? [email] : [];
  });
  const byEmail = new Map((await usersWhere(db, "email", lookups)).map((u) => [u.email, u]));
  for (const r of rows) {
    const email = r.username ? emailOf(r) : null;
    const owner = email ? byEmail.get(email) : undefined;
    if (!owner || owner.id === r.existingUserId) continue;
    if (r.email) {
      r.problems.push(
        `The e-mail "${r.email}" is already used by another account${owner.username ? ` (${owner.username})` : ""}.`,
      );
    } else {
      r.problems.push(`The username "${r.username}" cannot be used: an account already has its address.`);
    }
  }
}

/** The file, checked on its own and then against the accounts and the roster in the database. Writes nothing. */
export async function planImport(db: Db, classId: string, csv: string): Promise<Plan> {
  const parsed = parseRosterCsv(csv);
  const rows: PlannedRow[] = parsed.rows.map((r) => ({
    row: r.row,
    name: r.name,
    username: r.username,
    usernameGenerated: false,
    email: r.email,
    studentId: r.studentId,
    action: null,
    problems: [...r.problems],
    warnings: [...r.warnings],
    existingUserId: null,
  }));
  // The students of this class among the accounts the rows point at.
  const enrolled = new Set<string>();
  await matchUsernames(db, classId, rows, enrolled);
  await matchRoster(db, classId, rows, enrolled);
  await generateUsernames(db, rows);
  await checkEmails(db, rows);

  const counts = { rows: rows.length, create: 0, existing: 0, enrolled: 0, withProblems: 0 };
  for (const r of rows) {
    if (r.problems.length > 0) {
      counts.withProblems++;
      continue;
    }
    r.action = !r.existingUserId ? "create" : enrolled.has(r.existingUserId) ? "enrolled" : "existing";
    counts[r.action]++;
  }
  return {
    ok: parsed.fileProblems.length === 0 && counts.withProblems === 0,
    fileProblems: parsed.fileProblems,
    warnings: parsed.warnings,
    columns: parsed.columns,
    rows,
    counts,
  };
}
