// The roster of a class and its import from CSV: a preview that writes nothing and lists every problem, and a
// commit that re-checks the same file and creates every account and roster row in one transaction.
import { z } from "zod";
import type { Auth } from "../../auth.ts";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireClass } from "./access.ts";
import { isUniqueViolation } from "./classes.ts";
import {
  credentialsCsv,
  generatePassword,
  hashPassword,
  type IssuedCredential,
  realEmail,
  studentAccountRows,
} from "./credentials.ts";
import { ROSTER_LIMITS } from "./roster-csv.ts";
import { type PlannedRow, type PreviewRow, planImport, type RosterPreview } from "./roster-plan.ts";

const idSchema = z.string().min(1).max(64);
export const rosterImportInput = z.object({
  classId: idSchema,
  csv: z.string().max(ROSTER_LIMITS.csvChars, "The file is larger than 1 MB: split it into smaller files."),
});
export const rosterMemberInput = z.object({ classId: idSchema, studentId: idSchema });

export interface RosterStudent {
  id: string;
  name: string;
  username: string | null;
  /** Null when the account has only the placeholder address. */
  email: string | null;
  externalId: string | null;
  joinedAt: Date;
}

export async function listRoster(db: Db, actor: Actor, classId: string): Promise<RosterStudent[]> {
  await requireClass(db, actor, classId, "teach");
  const rows = await db.prisma.classStudent.findMany({
    where: { classId },
    select: {
      externalId: true,
      joinedAt: true,
      user: { select: { id: true, name: true, username: true, email: true } },
    },
    orderBy: [{ user: { name: "asc" } }, { joinedAt: "asc" }],
  });
  return rows.map((r) => ({
    id: r.user.id,
    name: r.user.name,
    username: r.user.username,
    email: realEmail(r.user.email),
    externalId: r.externalId,
    joinedAt: r.joinedAt,
  }));
}

/** Takes a student off the roster; their account stays (it may be on other classes, and keeps its runs). */
export async function removeStudent(db: Db, actor: Actor, input: z.input<typeof rosterMemberInput>): Promise<void> {
  const data = rosterMemberInput.parse(input);
  await requireClass(db, actor, data.classId, "teach");
  const removed = await db.prisma.classStudent.deleteMany({ where: { classId: data.classId, userId: data.studentId } });
  if (removed.count === 0) throw new AppError("NOT_FOUND", "That student is not on this class's roster.");
}

function publicRow({ existingUserId: _hidden, ...row }: PlannedRow): PreviewRow {
  return row;
}

export async function previewRosterImport(
  db: Db,
  actor: Actor,
  input: z.input<typeof rosterImportInput>,
): Promise<RosterPreview> {
  const data = rosterImportInput.parse(input);
  await requireClass(db, actor, data.classId, "teach");
  const plan = await planImport(db, data.classId, data.csv);
  return { ...plan, rows: plan.rows.map(publicRow) };
}

export interface RosterImportResult {
  created: number;
  added: number;
  alreadyEnrolled: number;
  /** The new accounts' passwords, in clear only here: they are not stored and cannot be shown again. */
  credentials: IssuedCredential[];
  /** The same credentials as a CSV sheet to download. */
  csv: string;
}

const HASH_CONCURRENCY = 4;

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Imports the roster, all or nothing: the file is checked again (the accounts may have changed since the preview)
 * and refused while any row has a problem; then every account, credential and roster row is written in one
 * transaction, so a failure half-way leaves nothing behind.
 */
export async function commitRosterImport(
  db: Db,
  auth: Auth,
  actor: Actor,
  input: z.input<typeof rosterImportInput>,
): Promise<RosterImportResult> {
  const data = rosterImportInput.parse(input);
  const cls = await requireClass(db, actor, data.classId, "teach");
  const plan = await planImport(db, data.classId, data.csv);
  if (!plan.ok) {
    const n = plan.fileProblems.length > 0 ? "The file" : `${plan.counts.withProblems} row(s)`;
    throw new AppError(
      "BAD_REQUEST",
      `${n} of the roster have problems: preview it again and fix them. Nothing was imported.`,
    );
  }
  const toCreate = plan.rows.filter((r) => r.action === "create");
  const toAdd = plan.rows.filter((r) => r.action === "existing");

  // Hashing is slow on purpose (scrypt); it happens before the transaction so that the transaction stays short.
  const passwords = toCreate.map(() => generatePassword());
  const hashes = await mapBounded(passwords, HASH_CONCURRENCY, (p) => hashPassword(auth, p));
  const now = new Date();
  const accounts = toCreate.map((r, i) =>
    studentAccountRows(
      { name: r.name, username: r.username ?? "", email: r.email, passwordHash: hashes[i] ?? "" },
      now,
    ),
  );

  try {
    await db.prisma.$transaction(
      async (tx) => {
        // Two imports into the same class at once are taken one after the other.
        await tx.$queryRaw`SELECT id FROM "class" WHERE id = ${cls.id} FOR UPDATE`;
        if (accounts.length > 0) {
          await tx.user.createMany({ data: accounts.map((a) => a.user) });
          await tx.account.createMany({ data: accounts.map((a) => a.account) });
        }
        const members = [
          ...accounts.map((a, i) => ({
            classId: cls.id,
            userId: a.user.id,
            externalId: toCreate[i]?.studentId ?? null,
          })),
          ...toAdd.map((r) => ({ classId: cls.id, userId: r.existingUserId ?? "", externalId: r.studentId })),
        ];
        if (members.length > 0) await tx.classStudent.createMany({ data: members, skipDuplicates: true });
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new AppError(
        "CONFLICT",
        "An account with one of these usernames or e-mails was created meanwhile. Preview the file again. Nothing was imported.",
        { cause: e },
      );
    }
    throw e;
  }

  const credentials: IssuedCredential[] = accounts.map((a, i) => ({
    userId: a.user.id,
    name: a.user.name,
    username: a.user.username,
    password: passwords[i] ?? "",
  }));
  db.log.info({ classId: cls.id, userId: actor.id, created: toCreate.length, added: toAdd.length }, "roster imported");
  return {
    created: toCreate.length,
    added: toAdd.length,
    alreadyEnrolled: plan.counts.enrolled,
    credentials,
    csv: credentialsCsv(cls.name, credentials),
  };
}
