import type { PrismaClient } from "@labfleet/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { admin, username } from "better-auth/plugins";
import { createAccessControl } from "better-auth/plugins/access";
import { adminAc, defaultStatements, userAc } from "better-auth/plugins/admin/access";

export interface AuthOptions {
  prisma: PrismaClient;
  /** At least 32 random characters; kept in the data folder when not given. */
  secret: string;
  /** The public origin of the control plane, e.g. http://localhost:3000. */
  baseURL: string;
  /** Extra origins allowed to make mutating requests (the cookie's CSRF check). */
  trustedOrigins?: string[];
}

// Roles are a closed set; the library refuses to set any other (see STACK.md: setRole accepts any string).
const ac = createAccessControl(defaultStatements);
const roles = {
  admin: ac.newRole(adminAc.statements),
  instructor: ac.newRole({ user: ["list"], session: [] }),
  student: ac.newRole(userAc.statements),
};

/**
 * Instructor and admin accounts, sessions in the database, HttpOnly cookies. Sign-up is closed: admins create
 * accounts. Students sign in by username (they often have no e-mail).
 */
export function createAuth(options: AuthOptions) {
  return betterAuth({
    appName: "LabFleet",
    secret: options.secret,
    baseURL: options.baseURL,
    basePath: "/api/auth",
    trustedOrigins: options.trustedOrigins ?? [],
    database: prismaAdapter(options.prisma, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8 },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    telemetry: { enabled: false },
    plugins: [username(), admin({ ac, roles, defaultRole: "student", adminRoles: ["admin"] })],
  });
}

export type Auth = ReturnType<typeof createAuth>;
