import { z } from "zod";
import { AppError } from "../errors.ts";
import {
  createEnrollmentToken,
  createTokenInput,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from "../services/enrollment-token.ts";
import { requireLab } from "../services/fleet-scope.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const tokenOutput = z.object({
  id: z.string(),
  label: z.string(),
  tokenPrefix: z.string(),
  expiresAt: z.date(),
  maxUses: z.number(),
  uses: z.number(),
  revokedAt: z.date().nullable(),
  createdAt: z.date(),
  status: z.enum(["active", "expired", "revoked", "used_up"]),
});

/** An admin sees and revokes every token; an instructor the tokens they made, each for a lab they use. */
const ownerFilter = (actor: { id: string; role: string }) => (actor.role === "admin" ? null : actor.id);

export const enrollmentTokenRouter = router({
  list: staffProcedure
    .output(z.array(tokenOutput))
    .query(({ ctx }) => listEnrollmentTokens(ctx.db, ownerFilter(ctx.actor))),

  create: staffProcedure
    .use(audited("enrollmentToken.create"))
    .input(createTokenInput)
    .output(z.object({ id: z.string(), token: z.string(), expiresAt: z.date() }))
    .mutation(async ({ ctx, input }) => {
      // A device enrolled by an instructor's token lands in one of their labs, where they can see it.
      if (ctx.actor.role !== "admin") {
        if (!input.labId)
          throw new AppError("BAD_REQUEST", "Choose one of your labs: the devices it enrolls go there.");
        await requireLab(ctx.db, ctx.actor, input.labId);
      }
      const created = await createEnrollmentToken(ctx.db, input, ctx.user.id);
      ctx.log.info({ tokenId: created.id, userId: ctx.user.id }, "enrollment token created");
      return { id: created.id, token: created.token, expiresAt: created.expiresAt };
    }),

  revoke: staffProcedure
    .use(audited("enrollmentToken.revoke"))
    .input(z.object({ id: z.string().min(1).max(64) }))
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await revokeEnrollmentToken(ctx.db, input.id, ownerFilter(ctx.actor));
      ctx.log.info({ tokenId: input.id, userId: ctx.user.id }, "enrollment token revoked");
      return { id: input.id };
    }),
});
