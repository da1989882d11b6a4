import { alertKindSchema } from "@labfleet/protocol";
import { z } from "zod";
import { listLabChoices, listRules, resetRule, ruleUpdateInput, updateRule } from "../services/alert-rule.ts";
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

/** Instructors tune the rules of their rooms as well as admins: both run the room. */
export const alertRuleRouter = router({
  list: staffProcedure
    .input(z.object({ labId: labIdInput }))
    .output(z.array(ruleOutput))
    .query(({ ctx, input }) => listRules(ctx.db, input.labId)),

  labs: staffProcedure
    .output(z.array(z.object({ id: z.string(), name: z.string() })))
    .query(({ ctx }) => listLabChoices(ctx.db)),

  update: staffProcedure
    .use(audited("alertRule.update"))
    .input(ruleUpdateInput)
    .output(ruleOutput)
    .mutation(async ({ ctx, input }) => {
      const rule = await updateRule(ctx.db, input);
      ctx.log.info({ userId: ctx.user.id, labId: input.labId, kind: input.kind }, "alert rule updated");
      return rule;
    }),

  reset: staffProcedure
    .use(audited("alertRule.reset"))
    .input(z.object({ labId: labIdInput, kind: alertKindSchema }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await resetRule(ctx.db, input.labId, input.kind);
      return { ok: true as const };
    }),
});
