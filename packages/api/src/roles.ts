import { z } from "zod";

export const ROLES = ["admin", "instructor", "student"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** The auth library stores roles as free text; anything unknown is treated as the least privileged role. */
export function parseRole(value: unknown): Role {
  const r = roleSchema.safeParse(value);
  return r.success ? r.data : "student";
}

export function isStaff(role: Role): boolean {
  return role === "admin" || role === "instructor";
}
