import { createCallerFactory, router } from "../trpc/init.ts";
import { alertRouter } from "./alert.ts";
import { alertRuleRouter } from "./alert-rule.ts";
import { assignmentRouter } from "./assignment.ts";
import { auditRouter } from "./audit.ts";
import { classRouter } from "./class.ts";
import { deploymentRouter } from "./deployment.ts";
import { deviceRouter } from "./device.ts";
import { enrollmentTokenRouter } from "./enrollment-token.ts";
import { labRouter } from "./lab.ts";
import { labSessionRouter } from "./lab-session.ts";
import { modelRouter } from "./model.ts";
import { runRouter } from "./run.ts";
import { settingsRouter } from "./settings.ts";
import { userRouter } from "./user.ts";
import { webhookRouter } from "./webhook.ts";

export const appRouter = router({
  user: userRouter,
  device: deviceRouter,
  enrollmentToken: enrollmentTokenRouter,
  alert: alertRouter,
  alertRule: alertRuleRouter,
  webhook: webhookRouter,
  settings: settingsRouter,
  lab: labRouter,
  model: modelRouter,
  deployment: deploymentRouter,
  run: runRouter,
  class: classRouter,
  labSession: labSessionRouter,
  assignment: assignmentRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;

/** For tests and server-side calls: `createCaller(ctx).device.list()`. */
export const createCaller = createCallerFactory(appRouter);
