import { z } from "zod";
import { createDeployment, removeDeployment, rollbackDeployment } from "../services/deployments/deployments.ts";
import { checkFit } from "../services/deployments/fit.ts";
import { getDeployment, listDeployments, listDeploymentsInput } from "../services/deployments/queries.ts";
import { checkFitInput, createDeploymentInput } from "../services/deployments/schemas.ts";
import { createdDeploymentSchema, deploymentViewSchema, fitResultSchema } from "../services/deployments/views.ts";
import { audited } from "../trpc/audit.ts";
import { router, staffProcedure } from "../trpc/init.ts";

const idInput = z.object({ id: z.string().min(1).max(64) });

export const deploymentRouter = router({
  /** Which devices of the target can hold and run the version, and why the others cannot. */
  checkFit: staffProcedure
    .input(checkFitInput)
    .output(fitResultSchema)
    .query(({ ctx, input }) => checkFit(ctx.db, input)),

  create: staffProcedure
    .use(audited("deployment.create"))
    .input(createDeploymentInput)
    .output(createdDeploymentSchema)
    .mutation(({ ctx, input }) => createDeployment({ db: ctx.db, hub: ctx.hub }, input, ctx.user.id)),

  list: staffProcedure
    .input(listDeploymentsInput.default({ limit: 100 }))
    .output(z.array(deploymentViewSchema))
    .query(({ ctx, input }) => listDeployments(ctx.db, input, (id) => ctx.hub.isOnline(id))),

  get: staffProcedure
    .input(idInput)
    .output(deploymentViewSchema)
    .query(({ ctx, input }) => getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id))),

  rollback: staffProcedure
    .use(audited("deployment.rollback"))
    .input(idInput)
    .output(deploymentViewSchema)
    .mutation(async ({ ctx, input }) => {
      await rollbackDeployment({ db: ctx.db, hub: ctx.hub }, input.id);
      ctx.log.info({ deploymentId: input.id, userId: ctx.user.id }, "deployment rolled back by a user");
      return getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id));
    }),

  remove: staffProcedure
    .use(audited("deployment.remove"))
    .input(idInput)
    .output(deploymentViewSchema)
    .mutation(async ({ ctx, input }) => {
      await removeDeployment({ db: ctx.db, hub: ctx.hub }, input.id);
      ctx.log.info({ deploymentId: input.id, userId: ctx.user.id }, "deployment removed by a user");
      return getDeployment(ctx.db, input.id, (id) => ctx.hub.isOnline(id));
    }),
});
