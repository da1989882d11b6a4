import { z } from "zod";
import { roleSchema } from "../roles.ts";
import {
  createPerson,
  createPersonInput,
  listPeople,
  listPeopleInput,
  personSchema,
  resetPassword,
  setRole,
} from "../services/people.ts";
import { getUserProfile } from "../services/users.ts";
import { audited } from "../trpc/audit.ts";
import { adminProcedure, protectedProcedure, router } from "../trpc/init.ts";

const meOutput = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  username: z.string().nullable(),
  role: roleSchema,
});

const userId = z.string().min(1).max(64);
const withPassword = z.object({ person: personSchema, password: z.string() });

export const userRouter = router({
  me: protectedProcedure.output(meOutput).query(async ({ ctx }) => {
    const u = await getUserProfile(ctx.db, ctx.user.id);
    return { ...u, role: ctx.user.role };
  }),

  /** Everyone who can sign in (admins only). */
  list: adminProcedure
    .input(listPeopleInput.default({ limit: 300 }))
    .output(z.array(personSchema))
    .query(({ ctx, input }) => listPeople(ctx.db, input)),

  /** A new account (an instructor, usually) with a generated password, shown once. */
  create: adminProcedure
    .use(audited("user.create", { targetId: (_i, o) => (o as { person?: { id: string } }).person?.id }))
    .input(createPersonInput)
    .output(withPassword)
    .mutation(({ ctx, input }) => createPerson(ctx.db, ctx.auth, input)),

  setRole: adminProcedure
    .use(audited("user.setRole", { targetId: (i) => (i as { userId?: string }).userId }))
    .input(z.object({ userId, role: roleSchema }))
    .output(personSchema)
    .mutation(({ ctx, input }) => setRole(ctx.db, input.userId, input.role)),

  resetPassword: adminProcedure
    .use(audited("user.resetPassword", { targetId: (i) => (i as { userId?: string }).userId }))
    .input(z.object({ userId }))
    .output(withPassword)
    .mutation(({ ctx, input }) => resetPassword(ctx.db, ctx.auth, input.userId)),
});
