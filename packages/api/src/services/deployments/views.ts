import { z } from "zod";
import { deploymentTargetSchema, storedStrategySchema } from "./schemas.ts";

/** What the deployment procedures answer: the shapes the dashboard reads, and nothing more. */
export const fitResultSchema = z.object({
  fits: z.array(z.object({ deviceId: z.string(), name: z.string() })),
  misfits: z.array(z.object({ deviceId: z.string(), name: z.string(), reason: z.string() })),
});

export const createdDeploymentSchema = z.object({ id: z.string(), misfits: fitResultSchema.shape.misfits });

export const deploymentViewSchema = z.object({
  id: z.string(),
  status: z.string(),
  statusReason: z.string().nullable(),
  currentWave: z.number().int(),
  previousId: z.string().nullable(),
  strategy: storedStrategySchema,
  target: deploymentTargetSchema,
  createdAt: z.date(),
  version: z.object({ id: z.string(), variant: z.string(), model: z.object({ id: z.string(), name: z.string() }) }),
  devices: z.array(
    z.object({
      deviceId: z.string(),
      name: z.string(),
      online: z.boolean(),
      wave: z.number().int(),
      state: z.string(),
      percent: z.number().nullable(),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
      updatedAt: z.date(),
    }),
  ),
});
