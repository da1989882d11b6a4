import type { DeploymentDeviceState, ModelsStatusReport } from "@labfleet/protocol";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { type DeploymentDeps, pushDesired } from "./deps.ts";
import { checkFit, type FitResult } from "./fit.ts";
import {
  ACTIVE_STATUSES,
  type CreateDeploymentInput,
  createDeploymentInput,
  type DeploymentStatus,
  type StoredStrategy,
  storedStrategySchema,
} from "./schemas.ts";

/** The wave of each of `n` devices: contiguous, nearly equal chunks, and never an empty wave. */
export function assignWaves(n: number, waves: number): number[] {
  const w = Math.max(1, Math.min(waves, n));
  return Array.from({ length: n }, (_, i) => Math.floor((i * w) / n));
}

export function readStrategy(raw: unknown): StoredStrategy {
  return storedStrategySchema.parse(raw);
}

export interface CreateDeploymentOptions {
  /**
   * Other versions of the same model that this deployment leaves in place: variants deployed together (a
   * session's room preparation puts every variant its assignment allows on each seat) are all kept.
   */
  keepVersionIds?: readonly string[];
}

/**
 * Creates a deployment over the devices of the target that fit. Another version of the same model that is
 * active on one of those devices gives way (unless `keepVersionIds` names it): a deployment all of whose devices
 * the new one covers is marked replaced; one that also covers other devices keeps them, and only its rows for the
 * shared devices are removed. The newest such deployment becomes the one a rollback restores.
 */
export async function createDeployment(
  deps: DeploymentDeps,
  input: CreateDeploymentInput,
  userId: string | null,
  opts: CreateDeploymentOptions = {},
): Promise<{ id: string; misfits: FitResult["misfits"] }> {
  const { db } = deps;
  const parsed = createDeploymentInput.parse(input);
  const fit = await checkFit(db, parsed);
  if (fit.fits.length === 0) {
    throw new AppError("CONFLICT", "No device of that target can run this version. See the reasons of the fit check.");
  }
  const version = await db.prisma.modelVersion.findUniqueOrThrow({
    where: { id: parsed.versionId },
    select: { modelId: true },
  });
  const deviceIds = fit.fits.map((f) => f.deviceId);
  const waves = assignWaves(deviceIds.length, parsed.strategy.waves);
  const strategy: StoredStrategy = { ...parsed.strategy, waves: Math.max(...waves) + 1, gateGroups: {} };

  const { id, replaced } = await db.prisma.$transaction(async (tx) => {
    const overlapping = await tx.deployment.findMany({
      where: {
        status: { in: ACTIVE_STATUSES },
        versionId: { notIn: [parsed.versionId, ...(opts.keepVersionIds ?? [])] },
        version: { modelId: version.modelId },
        devices: { some: { deviceId: { in: deviceIds }, state: { not: "removed" } } },
      },
      select: { id: true, devices: { where: { state: { not: "removed" } }, select: { deviceId: true } } },
      orderBy: { createdAt: "desc" },
    });
    const covered = new Set(deviceIds);
    const whole = overlapping.filter((o) => o.devices.every((d) => covered.has(d.deviceId)));
    const partial = overlapping.filter((o) => !whole.includes(o));
    const created = await tx.deployment.create({
      data: {
        versionId: parsed.versionId,
        target: parsed.target,
        strategy,
        previousId: overlapping[0]?.id ?? null,
        createdById: userId,
        devices: {
          create: deviceIds.map((deviceId, i) => ({
            deviceId,
            wave: waves[i] ?? 0,
            state: (waves[i] ?? 0) === 0 ? "queued" : "pending",
          })),
        },
      },
      select: { id: true },
    });
    if (whole.length > 0) {
      await tx.deployment.updateMany({
        where: { id: { in: whole.map((o) => o.id) } },
        data: { status: "replaced", statusReason: `replaced by deployment ${created.id}` },
      });
    }
    if (partial.length > 0) {
      await tx.deploymentDevice.updateMany({
        where: { deploymentId: { in: partial.map((o) => o.id) }, deviceId: { in: deviceIds } },
        data: { state: "removed", percent: null },
      });
    }
    return { id: created.id, replaced: overlapping };
  });

  db.log.info(
    { deploymentId: id, versionId: parsed.versionId, devices: deviceIds.length, userId },
    "deployment created",
  );
  const touched = new Set(deviceIds.filter((_, i) => waves[i] === 0));
  for (const r of replaced) for (const d of r.devices) touched.add(d.deviceId);
  await pushDesired(deps, touched);
  deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
  for (const r of replaced) deps.hub.publishDeployment({ deploymentId: r.id, deviceId: null });
  return { id, misfits: fit.misfits };
}

async function loadForChange(db: Db, id: string) {
  const d = await db.prisma.deployment.findUnique({
    where: { id },
    select: { id: true, status: true, previousId: true, devices: { select: { deviceId: true, wave: true } } },
  });
  if (!d) throw new AppError("NOT_FOUND", "That deployment does not exist.");
  return d;
}

/** Puts back the deployment this one replaced: this one is rolled back, the previous one rolls out again. */
export async function rollbackDeployment(deps: DeploymentDeps, id: string): Promise<void> {
  const { db } = deps;
  const current = await loadForChange(db, id);
  if (!ACTIVE_STATUSES.includes(current.status as DeploymentStatus)) {
    throw new AppError(
      "CONFLICT",
      `This deployment is ${current.status.replace("_", " ")}; only an active one can be rolled back.`,
    );
  }
  if (!current.previousId) throw new AppError("CONFLICT", "There is no previous version to roll back to.");
  const previous = await loadForChange(db, current.previousId);
  if (previous.status === "removed") throw new AppError("CONFLICT", "The previous deployment was removed.");
  const lastWave = previous.devices.reduce((m, d) => Math.max(m, d.wave), 0);
  await db.prisma.$transaction([
    db.prisma.deployment.update({
      where: { id },
      data: { status: "rolled_back", statusReason: `rolled back to deployment ${previous.id}` },
    }),
    // Every device of the previous deployment gets it back at once: its version already proved itself.
    db.prisma.deployment.update({
      where: { id: previous.id },
      data: {
        status: "rolling_out",
        statusReason: `restored by the rollback of deployment ${id}`,
        currentWave: lastWave,
      },
    }),
    // Its rows that the rolled-back deployment took over (a partial replacement removed them) come back too.
    db.prisma.deploymentDevice.updateMany({
      where: {
        deploymentId: previous.id,
        OR: [{ state: { not: "removed" } }, { deviceId: { in: current.devices.map((d) => d.deviceId) } }],
      },
      data: { state: "queued", percent: null, errorCode: null, errorMessage: null },
    }),
  ]);
  db.log.info({ deploymentId: id, previousId: previous.id }, "deployment rolled back");
  await pushDesired(
    deps,
    [...current.devices, ...previous.devices].map((d) => d.deviceId),
  );
  deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
  deps.hub.publishDeployment({ deploymentId: previous.id, deviceId: null });
}

/** Takes the version off every device of the deployment. */
export async function removeDeployment(deps: DeploymentDeps, id: string): Promise<void> {
  const { db } = deps;
  const current = await loadForChange(db, id);
  if (current.status === "removed") throw new AppError("CONFLICT", "This deployment was already removed.");
  await db.prisma.$transaction([
    db.prisma.deployment.update({ where: { id }, data: { status: "removed", statusReason: null } }),
    db.prisma.deploymentDevice.updateMany({ where: { deploymentId: id }, data: { state: "removed", percent: null } }),
  ]);
  db.log.info({ deploymentId: id }, "deployment removed");
  await pushDesired(
    deps,
    current.devices.map((d) => d.deviceId),
  );
  deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
}

/**
 * Applies an agent's report to its own rows. Unknown deployments, other versions, and rows that have not
 * started or were removed are ignored: a stale report must not bring a removed version back.
 * Returns the deployments whose rows changed.
 */
export async function applyModelsStatus(
  deps: DeploymentDeps,
  deviceId: string,
  report: ModelsStatusReport,
): Promise<string[]> {
  const changed: string[] = [];
  for (const m of report.models) {
    const state: DeploymentDeviceState = m.state;
    // A device cannot remove itself from a deployment; "removed" is the server's word.
    if (state === "removed") continue;
    const res = await deps.db.prisma.deploymentDevice.updateMany({
      where: {
        deploymentId: m.deploymentId,
        deviceId,
        state: { notIn: ["pending", "removed"] },
        deployment: { versionId: m.versionId },
      },
      data: {
        state,
        percent: state === "ready" ? 100 : m.percent,
        errorCode: m.error?.code ?? null,
        errorMessage: m.error?.message ?? null,
      },
    });
    if (res.count > 0) {
      changed.push(m.deploymentId);
      deps.hub.publishDeployment({ deploymentId: m.deploymentId, deviceId });
    }
  }
  return [...new Set(changed)];
}
