import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Auth, countAdmins, createUser, type Db } from "@labfleet/api";

export interface FirstAdmin {
  email: string;
  /** Set only when this start created the account with a generated password. */
  password: string | null;
  created: boolean;
}

/**
 * Makes sure one admin exists. On first start it is created from LABFLEET_ADMIN_EMAIL/PASSWORD, or with
 * admin@labfleet.local and a generated password, which is printed once and kept (0600) in the data folder.
 */
export async function ensureFirstAdmin(
  db: Db,
  auth: Auth,
  opts: { dataDir: string; email?: string; password?: string },
): Promise<FirstAdmin> {
  const email = (opts.email ?? "admin@labfleet.local").toLowerCase();
  if ((await countAdmins(db)) > 0) {
    const admin = await db.prisma.user.findFirst({ where: { role: "admin" }, orderBy: { createdAt: "asc" } });
    return { email: admin?.email ?? email, password: null, created: false };
  }
  const password = opts.password ?? randomBytes(12).toString("base64url");
  await createUser(auth, { email, password, name: "Administrator", username: "admin", role: "admin" });
  if (!opts.password) {
    const file = path.join(opts.dataDir, "initial-admin.txt");
    await writeFile(file, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
  }
  return { email, password: opts.password ? null : password, created: true };
}
