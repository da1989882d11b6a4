// Accounts, for admins: everyone who signs in, how instructors and admins get an account, role changes and
// password resets. Generated passwords are shown once and stored only as the auth library's hash.
import { z } from "zod";
import type { Auth } from "../auth.ts";
import { AppError } from "../errors.ts";
import { ROLES, roleSchema } from "../roles.ts";
import { generatePassword, issueNewPassword, placeholderEmail, realEmail } from "./classroom/credentials.ts";
import type { Db } from "./deps.ts";
import { countAdmins, createUser } from "./users.ts";

// The auth library's username rules (3 to 30 characters: letters, digits, dots, underscores), checked here so that
// a name it would refuse is a BAD_REQUEST with a reason, not a failure inside the library.
const username = z
  .string()
  .trim()
  .min(3, "A username has at least 3 characters.")
  .max(30, "A username has at most 30 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._]*$/, "Use letters, digits, dots and underscores.")
  .transform((u) => u.toLowerCase());

export const createPersonInput = z.object({
  name: z.string().trim().min(1, "Give a name.").max(120),
  username,
  email: z.email("Not a valid e-mail address.").max(200).optional(),
  role: roleSchema,
});

export const listPeopleInput = z.object({
  q: z.string().trim().max(100).optional(),
  role: roleSchema.optional(),
  limit: z.number().int().min(1).max(1_000).default(300),
});

export const personSchema = z.object({
  id: z.string(),
  name: z.string(),
  username: z.string().nullable(),
  email: z.string().nullable(),
  role: z.enum(ROLES),
  createdAt: z.date(),
});
export type Person = z.infer<typeof personSchema>;

function toPerson(u: {
  id: string;
  name: string;
  username: string | null;
  email: string;
  role: string | null;
  createdAt: Date;
}): Person {
  const role = roleSchema.safeParse(u.role);
  return {
    id: u.id,
    name: u.name,
    username: u.username,
    email: realEmail(u.email),
    role: role.success ? role.data : "student",
    createdAt: u.createdAt,
  };
}

const SELECT = { id: true, name: true, username: true, email: true, role: true, createdAt: true } as const;

export async function listPeople(db: Db, input: z.input<typeof listPeopleInput>): Promise<Person[]> {
  const data = listPeopleInput.parse(input);
  const rows = await db.prisma.user.findMany({
    where: {
      ...(data.role ? { role: data.role } : {}),
      ...(data.q
        ? {
            OR: [
              { name: { contains: data.q, mode: "insensitive" } },
              { username: { contains: data.q.toLowerCase() } },
              { email: { contains: data.q, mode: "insensitive" } },
            ],
          }
        : {}),
    },
    orderBy: [{ role: "asc" }, { name: "asc" }],
    take: data.limit,
    select: SELECT,
  });
  return rows.map(toPerson);
}

/** A new account with a generated password, returned once. */
export async function createPerson(
  db: Db,
  auth: Auth,
  input: z.input<typeof createPersonInput>,
): Promise<{ person: Person; password: string }> {
  const data = createPersonInput.parse(input);
  const email = data.email?.toLowerCase() ?? placeholderEmail(data.username);
  const taken = await db.prisma.user.findFirst({
    where: { OR: [{ username: data.username }, { email }] },
    select: { username: true },
  });
  if (taken) {
    throw new AppError(
      "CONFLICT",
      taken.username === data.username ? "That username is taken." : "An account already uses that e-mail.",
    );
  }
  const password = generatePassword();
  const created = await createUser(auth, {
    email,
    password,
    name: data.name,
    username: data.username,
    role: data.role,
  });
  const row = await db.prisma.user.findUniqueOrThrow({ where: { id: created.id }, select: SELECT });
  return { person: toPerson(row), password };
}

async function requirePerson(db: Db, userId: string) {
  const row = await db.prisma.user.findUnique({ where: { id: userId }, select: SELECT });
  if (!row) throw new AppError("NOT_FOUND", "That account does not exist.");
  return row;
}

/** Changes a role; the last admin keeps theirs, so that someone can always manage the system. */
export async function setRole(db: Db, userId: string, role: z.infer<typeof roleSchema>): Promise<Person> {
  const row = await requirePerson(db, userId);
  if (row.role === "admin" && role !== "admin" && (await countAdmins(db)) <= 1) {
    throw new AppError("CONFLICT", "This is the last admin: make another admin first.");
  }
  const updated = await db.prisma.user.update({ where: { id: userId }, data: { role }, select: SELECT });
  // A new role takes effect at once: the account signs in again.
  await db.prisma.session.deleteMany({ where: { userId } });
  return toPerson(updated);
}

export async function resetPassword(db: Db, auth: Auth, userId: string): Promise<{ person: Person; password: string }> {
  const row = await requirePerson(db, userId);
  const password = await issueNewPassword(db, auth, userId);
  return { person: toPerson(row), password };
}
