import type { Auth } from "../auth.ts";
import { AppError } from "../errors.ts";
import type { Role } from "../roles.ts";
import type { Db } from "./deps.ts";

export interface NewUser {
  email: string;
  password: string;
  name: string;
  username?: string;
  role: Role;
}

/** Creates an account through the auth library (it hashes the password and writes the credential). */
export async function createUser(auth: Auth, user: NewUser) {
  const created = await auth.api.createUser({
    body: {
      email: user.email,
      password: user.password,
      name: user.name,
      role: user.role,
      data: user.username ? { username: user.username.toLowerCase(), displayUsername: user.username } : {},
    },
  });
  return created.user;
}

export async function countAdmins(db: Db): Promise<number> {
  return db.prisma.user.count({ where: { role: "admin" } });
}

export async function getUserProfile(db: Db, id: string) {
  const u = await db.prisma.user.findUnique({
    where: { id },
    select: { id: true, name: true, email: true, username: true, role: true },
  });
  if (!u) throw new AppError("UNAUTHORIZED", "Your account no longer exists.");
  return u;
}
