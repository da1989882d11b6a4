// Student sign-in credentials: generated passwords, shown once and stored only as the auth library's hash.
import { randomInt } from "node:crypto";
import { generateId } from "better-auth";
import Papa from "papaparse";
import { z } from "zod";
import type { Auth } from "../../auth.ts";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireClass } from "./access.ts";

// Lower-case letters and digits without the look-alikes (0/o, 1/l/i): read off a printed slip by a child.
export const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export const PASSWORD_LENGTH = 10;

/** Domain of the placeholder e-mails of students who have none (`.invalid` is reserved: it never delivers). */
export const STUDENT_EMAIL_DOMAIN = "students.labfleet.invalid";

export function generatePassword(): string {
  let out = "";
  for (let i = 0; i < PASSWORD_LENGTH; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

export function placeholderEmail(username: string): string {
  return `${username}@${STUDENT_EMAIL_DOMAIN}`;
}

/** The real e-mail of an account, or null when it holds the placeholder. */
export function realEmail(email: string): string | null {
  return email.endsWith(`@${STUDENT_EMAIL_DOMAIN}`) ? null : email;
}

/** The hash the auth library itself writes and checks at sign-in (its configured hasher, scrypt by default). */
export async function hashPassword(auth: Auth, password: string): Promise<string> {
  const ctx = await auth.$context;
  return ctx.password.hash(password);
}

/**
 * Gives an account a new generated password (its credential account created when it has none) and signs it out
 * everywhere, in one transaction. Returns the password in clear: the caller shows it once.
 */
export async function issueNewPassword(db: Db, auth: Auth, userId: string): Promise<string> {
  const password = generatePassword();
  const passwordHash = await hashPassword(auth, password);
  await db.prisma.$transaction(async (tx) => {
    const updated = await tx.account.updateMany({
      where: { userId, providerId: "credential" },
      data: { password: passwordHash },
    });
    if (updated.count === 0) {
      const now = new Date();
      await tx.account.create({
        data: {
          id: generateId(),
          accountId: userId,
          providerId: "credential",
          userId,
          password: passwordHash,
          createdAt: now,
          updatedAt: now,
        },
      });
    }
    await tx.session.deleteMany({ where: { userId } });
  });
  return password;
}

export interface NewStudentAccount {
  name: string;
  username: string;
  email: string | null;
  passwordHash: string;
}

/**
 * The rows the auth library would write for an account (user + credential account), written inside the caller's
 * transaction: the library's own createUser commits on its own, which would break an all-or-nothing import.
 */
export function studentAccountRows(s: NewStudentAccount, now: Date) {
  const userId = generateId();
  return {
    user: {
      id: userId,
      name: s.name,
      email: s.email ?? placeholderEmail(s.username),
      emailVerified: false,
      username: s.username,
      displayUsername: s.username,
      role: "student",
      banned: false,
      createdAt: now,
      updatedAt: now,
    },
    account: {
      id: generateId(),
      accountId: userId,
      providerId: "credential",
      userId,
      password: s.passwordHash,
      createdAt: now,
      updatedAt: now,
    },
  };
}

export interface IssuedCredential {
  userId: string;
  name: string;
  /** What they sign in with: the username (or the e-mail of an account that has none). */
  username: string;
  /** In clear only in this answer; the database holds the hash. */
  password: string;
}

/** The sheet an instructor downloads: one row per student, made with the same CSV library that reads rosters. */
export function credentialsCsv(className: string, credentials: readonly IssuedCredential[]): string {
  return Papa.unparse(
    {
      fields: ["class", "name", "username", "password"],
      data: credentials.map((c) => [className, c.name, c.username, c.password]),
    },
    // A name such as "=HYPERLINK(…)" must not turn into a formula when the sheet is opened in a spreadsheet.
    { escapeFormulae: true },
  );
}

export const resetCredentialsInput = z.object({
  classId: z.string().min(1).max(64),
  studentId: z.string().min(1).max(64),
});

/**
 * Gives a student of the class a new generated password and signs them out everywhere. The class's instructors (and
 * admins) may do it, and only for a student on that class's roster.
 */
export async function resetCredentials(
  db: Db,
  auth: Auth,
  actor: Actor,
  input: z.input<typeof resetCredentialsInput>,
): Promise<IssuedCredential & { csv: string }> {
  const data = resetCredentialsInput.parse(input);
  const cls = await requireClass(db, actor, data.classId, "teach");
  const member = await db.prisma.classStudent.findUnique({
    where: { classId_userId: { classId: data.classId, userId: data.studentId } },
    select: { user: { select: { id: true, name: true, username: true, email: true, role: true } } },
  });
  // Rosters hold only student accounts; the role check keeps a reset from ever reaching a staff account.
  if (member?.user.role !== "student") {
    throw new AppError("NOT_FOUND", "That student is not on this class's roster.");
  }
  const userId = member.user.id;
  const password = await issueNewPassword(db, auth, userId);
  db.log.info({ classId: cls.id, studentId: userId, userId: actor.id }, "student credentials reset");
  // An account made without a username (by an admin) signs in with its e-mail.
  const login = member.user.username ?? member.user.email;
  const credential = { userId, name: member.user.name, username: login, password };
  return { ...credential, csv: credentialsCsv(cls.name, [credential]) };
}
