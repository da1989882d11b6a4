import { type DesiredModel, modelRuntimeSchema, modelTaskSchema } from "@labfleet/protocol";
import type { Db } from "../deps.ts";
import { ACTIVE_STATUSES } from "./schemas.ts";

/** The select that turns a version row into what an agent needs to fetch and run it. */
export const versionRefSelect = {
  id: true,
  runtime: true,
  model: { select: { task: true } },
  files: {
    select: { name: true, role: true, sha256: true, blob: { select: { sizeBytes: true } } },
    orderBy: { name: "asc" },
  },
} as const;

interface VersionRefRow {
  id: string;
  runtime: string;
  model: { task: string };
  files: { name: string; role: string; sha256: string; blob: { sizeBytes: bigint } }[];
}

/** A version row as the wire's ModelVersionRef. */
export function toVersionRef(v: VersionRefRow) {
  return {
    versionId: v.id,
    task: modelTaskSchema.parse(v.model.task),
    runtime: modelRuntimeSchema.parse(v.runtime),
    files: v.files.map((f) => ({ sha256: f.sha256, sizeBytes: Number(f.blob.sizeBytes), name: f.name, role: f.role })),
  };
}

/**
 * The versions a device should hold: those of active deployments whose row for it has started (not pending,
 * i.e. its wave began) and was not removed. A halted deployment keeps what its started waves already hold.
 */
export async function desiredModelsFor(db: Db, deviceId: string): Promise<DesiredModel[]> {
  // Asked on every connection, and most devices of a fleet have nothing deployed: a plain statement says so
  // (see authenticateDevice) before the query that reads the versions.
  const { rows: started } = await db.pool.query(
    `SELECT 1 FROM "deployment_device" WHERE "device_id" = $1 AND "state" NOT IN ('pending', 'removed') LIMIT 1`,
    [deviceId],
  );
  if (started.length === 0) return [];
  const rows = await db.prisma.deploymentDevice.findMany({
    where: {
      deviceId,
      state: { notIn: ["pending", "removed"] },
      deployment: { status: { in: ACTIVE_STATUSES } },
    },
    select: { deploymentId: true, deployment: { select: { version: { select: versionRefSelect } } } },
    orderBy: { deployment: { createdAt: "asc" } },
  });
  return rows.map((r) => ({ deploymentId: r.deploymentId, ...toVersionRef(r.deployment.version) }));
}
