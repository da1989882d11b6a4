import { z } from "zod";
import { roleSchema } from "../roles.ts";
import { getUserProfile } from "../services/users.ts";
import { protectedProcedure, router } from "../trpc/init.ts";

const meOutput = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  username: z.string().nullable(),
  role: roleSchema,
});

export const userRouter = router({
  me: protectedProcedure.output(meOutput).query(async ({ ctx }) => {
    const u = await getUserProfile(ctx.db, ctx.user.id);
    return { ...u, role: ctx.user.role };
  }),
});
