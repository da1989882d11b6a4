// Room preparation: when a session starts, each of its assignment's model versions (every variant a student may
// choose) is deployed to every device of the lab that lacks it and can run it (the deployment service's fit check
// decides). The variants of one model are deployed together and kept side by side, so that a student's run with
// any of them finds it on the seat.
import { AppError } from "../../errors.ts";
import { createDeployment } from "../deployments/deployments.ts";
import { checkFit } from "../deployments/fit.ts";
import { ACTIVE_STATUSES } from "../deployments/schemas.ts";
import type { Db } from "../deps.ts";
import type { SessionDeps } from "./sessions.ts";

export interface PreparationResult {
  /** One deployment per assignment model version that some seat lacked. */
  deployed: { versionId: string; label: string; deploymentId: string; deviceIds: string[] }[];
  /** Seats that lack a version and cannot hold or run it (the fit check's reason). */
  misfits: { versionId: string; label: string; deviceId: string; deviceName: string; reason: string }[];
}

/** The labels of an assignment's versions: model name and variant. */
export async function assignmentVersions(db: Db, assignmentId: string) {
  const rows = await db.prisma.assignmentVersion.findMany({
    where: { assignmentId },
    orderBy: [{ position: "asc" }, { versionId: "asc" }],
    select: {
      versionId: true,
      version: { select: { variant: true, modelId: true, model: { select: { name: true } } } },
    },
  });
  return rows.map((r) => ({
    versionId: r.versionId,
    modelId: r.version.modelId,
    label: `${r.version.model.name} (${r.version.variant})`,
  }));
}

/** The lab's devices that hold (or are getting) a version through an active deployment. */
export async function devicesWithVersion(db: Db, versionId: string, deviceIds: string[]): Promise<Set<string>> {
  const rows = await db.prisma.deploymentDevice.findMany({
    where: {
      deviceId: { in: deviceIds },
      state: { not: "removed" },
      deployment: { versionId, status: { in: ACTIVE_STATUSES } },
    },
    select: { deviceId: true },
  });
  return new Set(rows.map((r) => r.deviceId));
}

/**
 * Deploys each of the assignment's versions to every device of the lab that lacks it and can run it. Never
 * throws for a device: what could not be deployed is listed with the reason.
 */
export async function prepareRoom(
  deps: SessionDeps,
  session: { id: string; labId: string; assignmentId: string | null },
  userId: string | null,
): Promise<PreparationResult> {
  const result: PreparationResult = { deployed: [], misfits: [] };
  if (!session.assignmentId) return result;
  const devices = await deps.db.prisma.device.findMany({
    where: { labId: session.labId, revokedAt: null },
    select: { id: true, name: true },
    orderBy: { name: "asc" },
  });
  const ids = devices.map((d) => d.id);
  const versions = await assignmentVersions(deps.db, session.assignmentId);
  for (const v of versions) {
    // A rollout replaces the other versions of its model on its devices; the assignment's own variants stay.
    const siblings = versions.filter((o) => o.modelId === v.modelId && o.versionId !== v.versionId);
    const have = await devicesWithVersion(deps.db, v.versionId, ids);
    const lacking = ids.filter((d) => !have.has(d));
    if (lacking.length === 0) continue;
    const target = { kind: "devices" as const, deviceIds: lacking };
    const fit = await checkFit(deps.db, { versionId: v.versionId, target });
    for (const m of fit.misfits) {
      result.misfits.push({
        versionId: v.versionId,
        label: v.label,
        deviceId: m.deviceId,
        deviceName: m.name,
        reason: m.reason,
      });
    }
    if (fit.fits.length === 0) continue;
    const fitting = fit.fits.map((f) => f.deviceId);
    try {
      const created = await createDeployment(
        deps,
        { versionId: v.versionId, target: { kind: "devices", deviceIds: fitting } },
        userId,
        { keepVersionIds: siblings.map((o) => o.versionId) },
      );
      result.deployed.push({ versionId: v.versionId, label: v.label, deploymentId: created.id, deviceIds: fitting });
    } catch (err) {
      deps.db.log.warn({ err, sessionId: session.id, versionId: v.versionId }, "session preparation failed");
      for (const f of fit.fits) {
        const reason = err instanceof AppError ? err.message : "the deployment could not be created";
        result.misfits.push({
          versionId: v.versionId,
          label: v.label,
          deviceId: f.deviceId,
          deviceName: f.name,
          reason,
        });
      }
    }
  }
  return result;
}
