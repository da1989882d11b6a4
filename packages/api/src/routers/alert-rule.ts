import { alertKindSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { listRules, resetRule, ruleUpdateInput, updateRule } from "../services/alert-rule.ts";
import type { Db } from "../services/deps.ts";
import { type Actor, labWhere, requireLab } from "../services/fleet-scope.ts";
import { listLabChoices } from "../services/lab.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const labIdInput = z.string().min(1).max(64).nullable();

const ruleOutput = z.object({
  kind: alertKindSchema,
  threshold: z.number().nullable(),
  forS: z.number().int(),
  enabled: z.boolean(),
  source: z.enum(["builtin", "fleet", "lab"]),
});

/**
 * The rules of a lab the caller uses; the fleet-wide rules (labId null) every room falls back to are read by all
 * staff and changed by admins only.
 */
async function requireRuleScope(db: Db, actor: Actor, labId: string | null, change: boolean): Promise<void> {
  if (labId !== null) await requireLab(db, actor, labId);
  else if (change && actor.role !== "admin")
    throw new AppError("FORBIDDEN", "Only admins change the fleet-wide rules; set a rule for one of your labs.");
}

/** Instructors tune the rules of their rooms as well as admins: both run the room. */
export const alertRuleRouter = router({
  list: staffProcedure
    .input(z.object({ labId: labIdInput }))
    .output(z.array(ruleOutput))
    .query(async ({ ctx, input }) => {
      await requireRuleScope(ctx.db, ctx.actor, input.labId, false);
      return listRules(ctx.db, input.labId);
    }),

  labs: staffProcedure
    .output(z.array(z.object({ id: z.string(), name: z.string() })))
    .query(({ ctx }) => listLabChoices(ctx.db, labWhere(ctx.actor))),

  update: staffProcedure
    .use(audited("alertRule.update"))
    .input(ruleUpdateInput)
    .output(ruleOutput)
    .mutation(async ({ ctx, input }) => {
      await requireRuleScope(ctx.db, ctx.actor, input.labId, true);
      const rule = await updateRule(ctx.db, input);
      ctx.log.info({ userId: ctx.user.id, labId: input.labId, kind: input.kind }, "alert rule updated");
      return rule;
    }),

  reset: staffProcedure
    .use(audited("alertRule.reset"))
    .input(z.object({ labId: labIdInput, kind: alertKindSchema }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await requireRuleScope(ctx.db, ctx.actor, input.labId, true);
      await resetRule(ctx.db, input.labId, input.kind);
      return { ok: true as const };
    }),
});
