import { z } from "zod";
import { tagSchema } from "../device-tags.ts";

const id = z.string().min(1).max(64);

/** Where a deployment goes: every device of a lab, a chosen set of devices, or every device with a tag. */
export const deploymentTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("lab"), labId: id }),
  z.object({ kind: z.literal("devices"), deviceIds: z.array(id).min(1).max(500) }),
  z.object({ kind: z.literal("tag"), tag: tagSchema }),
]);
export type DeploymentTarget = z.infer<typeof deploymentTargetSchema>;

/** The check between waves: a short benchmark of the new wave against the previous version. */
export const deploymentGateSchema = z.object({
  /** Halt when the wave's p95 is worse than the previous version's by more than this, percent. */
  maxP95RegressionPct: z.number().min(0).max(1_000),
  /** Halt when the wave's mean accuracy falls below this (0–1). Setting it makes the gate an evaluation. */
  minAccuracy: z.number().min(0).max(1).optional(),
  /** Measured iterations of the gate's run on each device. */
  iterations: z.number().int().min(1).max(100_000).default(50),
});
export type DeploymentGate = z.infer<typeof deploymentGateSchema>;

export const deploymentStrategySchema = z.object({
  waves: z.number().int().min(1).max(10).default(1),
  gate: deploymentGateSchema.nullable().default(null),
});
export type DeploymentStrategy = z.infer<typeof deploymentStrategySchema>;

/**
 * What the Deployment.strategy column holds: the strategy as asked, plus the gate runs started so far
 * (wave number → run group id), so that a restarted server picks up a gate where it was.
 */
export const storedStrategySchema = deploymentStrategySchema.extend({
  gateGroups: z.record(z.string(), z.string()).default({}),
});
export type StoredStrategy = z.infer<typeof storedStrategySchema>;

export const executionProviderSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9-]+$/)
  .default("cpu");

export const checkFitInput = z.object({
  versionId: id,
  target: deploymentTargetSchema,
  executionProvider: executionProviderSchema,
});
export type CheckFitInput = z.input<typeof checkFitInput>;

export const createDeploymentInput = checkFitInput.extend({
  strategy: deploymentStrategySchema.default({ waves: 1, gate: null }),
});
export type CreateDeploymentInput = z.input<typeof createDeploymentInput>;

export const DEPLOYMENT_STATUSES = ["rolling_out", "complete", "halted", "rolled_back", "removed", "replaced"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
/** Deployments whose devices should hold the version. */
export const ACTIVE_STATUSES: DeploymentStatus[] = ["rolling_out", "complete", "halted"];
