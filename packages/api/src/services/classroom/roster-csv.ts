// Reading a roster CSV: what a file says on its own, before the database is asked anything. Spreadsheets export
// with commas or semicolons, a byte-order mark, quoted fields with commas and line breaks inside: papaparse reads
// all of them; a split on commas would not.
import Papa from "papaparse";
import { z } from "zod";

export const ROSTER_LIMITS = {
  /** Characters of CSV text in one request. */
  csvChars: 1_000_000,
  rows: 2_000,
  name: 120,
  email: 254,
  usernameMin: 3,
  /** The auth library's username limit. */
  usernameMax: 30,
  studentId: 64,
} as const;

export type RosterField = "name" | "username" | "email" | "studentId";

// Header names as schools' systems and people write them, compared after lower-casing and dropping spaces,
// dashes, dots and underscores.
const HEADER_ALIASES: Record<string, RosterField> = {
  name: "name",
  fullname: "name",
  studentname: "name",
  displayname: "name",
  username: "username",
  login: "username",
  userid: "username",
  email: "email",
  emailaddress: "email",
  mail: "email",
  studentid: "studentId",
  studentnumber: "studentId",
  studentno: "studentId",
  externalid: "studentId",
  id: "studentId",
};

export const FIELD_LABELS: Record<RosterField, string> = {
  name: "name",
  username: "username",
  email: "email",
  studentId: "student id",
};

const USERNAME_PATTERN = /^[a-z0-9_.]+$/;
const emailSchema = z.email();

export interface CsvRow {
  /** 1-based, counting data rows (the header is not a row). */
  row: number;
  name: string;
  /** Lower-cased; null when the file leaves it to be generated. */
  username: string | null;
  email: string | null;
  studentId: string | null;
  problems: string[];
  warnings: string[];
}

export interface ParsedRoster {
  /** Problems with the file as a whole (nothing can be imported while there is one). */
  fileProblems: string[];
  warnings: string[];
  /** The header of each recognised column, as written in the file. */
  columns: Partial<Record<RosterField, string>>;
  rows: CsvRow[];
}

function headerKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s_.-]+/g, "");
}

function cell(values: string[], index: number | undefined): string {
  if (index === undefined) return "";
  return (values[index] ?? "").trim();
}

/** Parses and checks a roster file on its own: required name, lengths, e-mail syntax, duplicates within the file. */
export function parseRosterCsv(csv: string): ParsedRoster {
  const out: ParsedRoster = { fileProblems: [], warnings: [], columns: {}, rows: [] };
  const text = csv.replace(/^\uFEFF/, "");
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: "greedy" });
  const quoteError = parsed.errors.find((e) => e.type === "Quotes");
  if (quoteError) {
    out.fileProblems.push(
      `A quoted field is not closed properly${quoteError.row !== undefined ? ` near row ${quoteError.row}` : ""}: check the quotes.`,
    );
    return out;
  }
  const [header, ...records] = parsed.data;
  if (!header || header.every((h) => h.trim() === "")) {
    out.fileProblems.push(
      "The file is empty: it needs a header row (name, username, email, student id) and one row per student.",
    );
    return out;
  }

  const indexOf: Partial<Record<RosterField, number>> = {};
  const unknown: string[] = [];
  header.forEach((raw, i) => {
    const title = raw.trim();
    if (title === "") return;
    const field = HEADER_ALIASES[headerKey(title)];
    if (!field) {
      unknown.push(title);
      return;
    }
    if (indexOf[field] !== undefined) {
      out.fileProblems.push(
        `The ${FIELD_LABELS[field]} column appears twice ("${out.columns[field]}" and "${title}").`,
      );
      return;
    }
    indexOf[field] = i;
    out.columns[field] = title;
  });
  if (unknown.length > 0) {
    out.warnings.push(`Ignored column${unknown.length > 1 ? "s" : ""}: ${unknown.map((u) => `"${u}"`).join(", ")}.`);
  }
  if (indexOf.name === undefined) {
    out.fileProblems.push('The file has no "name" column: the first row must be a header that names the columns.');
    return out;
  }
  if (records.length === 0) {
    out.fileProblems.push("The file has a header but no students.");
    return out;
  }
  if (records.length > ROSTER_LIMITS.rows) {
    out.fileProblems.push(
      `The file has ${records.length} rows; at most ${ROSTER_LIMITS.rows} can be imported at once. Split it.`,
    );
    return out;
  }

  records.forEach((values, i) => {
    const row: CsvRow = {
      row: i + 1,
      name: "",
      username: null,
      email: null,
      studentId: null,
      problems: [],
      warnings: [],
    };
    if (values.length > header.length && values.slice(header.length).some((v) => v.trim() !== "")) {
      row.problems.push(
        `The row has ${values.length} fields but the header has ${header.length}: check for a stray comma.`,
      );
    }
    row.name = cell(values, indexOf.name);
    if (row.name === "") row.problems.push("The name is missing.");
    else if (row.name.length > ROSTER_LIMITS.name)
      row.problems.push(`The name is longer than ${ROSTER_LIMITS.name} characters.`);

    const username = cell(values, indexOf.username);
    if (username !== "") {
      row.username = username.toLowerCase();
      if (username.length > ROSTER_LIMITS.usernameMax) {
        row.problems.push(`The username is longer than ${ROSTER_LIMITS.usernameMax} characters.`);
      } else if (username.length < ROSTER_LIMITS.usernameMin) {
        row.problems.push(`The username is shorter than ${ROSTER_LIMITS.usernameMin} characters.`);
      } else if (!USERNAME_PATTERN.test(row.username)) {
        row.problems.push("The username may hold only letters, digits, dots and underscores.");
      }
    }

    const email = cell(values, indexOf.email);
    if (email !== "") {
      row.email = email.toLowerCase();
      if (email.length > ROSTER_LIMITS.email)
        row.problems.push(`The e-mail is longer than ${ROSTER_LIMITS.email} characters.`);
      else if (!emailSchema.safeParse(row.email).success)
        row.problems.push(`"${email}" is not a valid e-mail address.`);
    }

    const studentId = cell(values, indexOf.studentId);
    if (studentId !== "") {
      row.studentId = studentId;
      if (studentId.length > ROSTER_LIMITS.studentId) {
        row.problems.push(`The student id is longer than ${ROSTER_LIMITS.studentId} characters.`);
      }
    }
    out.rows.push(row);
  });

  markDuplicates(out.rows, (r) => r.username, "username");
  markDuplicates(out.rows, (r) => r.email, "e-mail");
  markDuplicates(out.rows, (r) => r.studentId, "student id");
  return out;
}

function markDuplicates(rows: CsvRow[], key: (r: CsvRow) => string | null, label: string): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, r.row);
    else r.problems.push(`The ${label} "${k}" is also on row ${first}.`);
  }
}

/**
 * The username a name suggests: "Zoë O'Brien-Smith" → "zoe.obrien.smith". Accents are dropped; a name with no
 * Latin letters gives "student". Short enough to take a numeric suffix within the auth library's limit.
 */
export function usernameBase(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’`]/g, "")
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "")
    .slice(0, ROSTER_LIMITS.usernameMax - 4)
    .replace(/\.+$/, "");
  return slug === "" ? "student" : slug;
}

/**
 * The first free username for a base: the base itself (when long enough), then base2, base3, … (`taken` holds every
 * username already in the system or chosen for another row, lower-cased). Bounded: gives up after 10,000.
 */
export function freeUsername(base: string, taken: ReadonlySet<string>): string | null {
  if (base.length >= ROSTER_LIMITS.usernameMin && !taken.has(base)) return base;
  for (let n = base.length >= ROSTER_LIMITS.usernameMin ? 2 : 1; n < 10_000; n++) {
    const candidate = `${base}${n}`;
    if (candidate.length >= ROSTER_LIMITS.usernameMin && !taken.has(candidate)) return candidate;
  }
  return null;
}
