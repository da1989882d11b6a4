import { z } from "zod";
import { AppError } from "../errors.ts";
import { createDeployment, removeDeployment, rollbackDeployment } from "../services/deployments/deployments.ts";
import { checkFit } from "../services/deployments/fit.ts";
import { getDeployment, listDeployments, listDeploymentsInput } from "../services/deployments/queries.ts";
import { checkFitInput, createDeploymentInput } from "../services/deployments/schemas.ts";
import { createdDeploymentSchema, deploymentViewSchema, fitResultSchema } from "../services/deployments/views.ts";
import type { Db } from "../services/deps.ts";
import { type Actor, deviceScope, requireTarget } from "../services/fleet-scope.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });

/**
 * Rolling back or removing changes every device of a deployment: an instructor may do it only when each one is a
 * device they see. A deployment they cannot see at all is NOT_FOUND.
 */
async function requireWholeDeployment(db: Db, actor: Actor, id: string): Promise<void> {
  const scope = deviceScope(actor);
  if (!scope) return;
  const [mine, others] = await Promise.all([
    db.prisma.deploymentDevice.count({ where: { deploymentId: id, device: scope } }),
    db.prisma.deploymentDevice.count({ where: { deploymentId: id, NOT: { device: scope } } }),
  ]);
  if (mine === 0) throw new AppError("NOT_FOUND", "That deployment does not exist.");
  if (others > 0)
    throw new AppError("FORBIDDEN", "This deployment also covers devices outside your labs: ask an admin.");
}

export const deploymentRouter = router({
  /** Which devices of the target can hold and run the version, and why the others cannot. */
  checkFit: staffProcedure
    .input(checkFitInput)
    .output(fitResultSchema)
    .query(async ({ ctx, input }) => {
      await requireTarget(ctx.db, ctx.actor, input.target);
      return checkFit(ctx.db, input);
    }),

  create: staffProcedure
    .use(audited("deployment.create"))
    .input(createDeploymentInput)
    .output(createdDeploymentSchema)
    .mutation(async ({ ctx, input }) => {
      await requireTarget(ctx.db, ctx.actor, input.target);
      return createDeployment({ db: ctx.db, hub: ctx.hub }, input, ctx.user.id);
    }),

  list: staffProcedure
    .input(listDeploymentsInput.default({ limit: 100 }))
    .output(z.array(deploymentViewSchema))
    .query(({ ctx, input }) => listDeployments(ctx.db, input, (id) => ctx.hub.isOnline(id), deviceScope(ctx.actor))),

  get: staffProcedure
    .input(idInput)
    .output(deploymentViewSchema)
    .query(({ ctx, input }) => getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id), deviceScope(ctx.actor))),

  rollback: staffProcedure
    .use(audited("deployment.rollback"))
    .input(idInput)
    .output(deploymentViewSchema)
    .mutation(async ({ ctx, input }) => {
      await requireWholeDeployment(ctx.db, ctx.actor, input.id);
      await rollbackDeployment({ db: ctx.db, hub: ctx.hub }, input.id);
      ctx.log.info({ deploymentId: input.id, userId: ctx.user.id }, "deployment rolled back by a user");
      return getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id), deviceScope(ctx.actor));
    }),

  remove: staffProcedure
    .use(audited("deployment.remove"))
    .input(idInput)
    .output(deploymentViewSchema)
    .mutation(async ({ ctx, input }) => {
      await requireWholeDeployment(ctx.db, ctx.actor, input.id);
      await removeDeployment({ db: ctx.db, hub: ctx.hub }, input.id);
      ctx.log.info({ deploymentId: input.id, userId: ctx.user.id }, "deployment removed by a user");
      return getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id), deviceScope(ctx.actor));
    }),
});
