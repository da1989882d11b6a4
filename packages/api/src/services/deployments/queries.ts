import type { Prisma } from "@labfleet/db";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { readStrategy } from "./deployments.ts";
import { type DeploymentTarget, deploymentTargetSchema, type StoredStrategy } from "./schemas.ts";

export interface DeploymentDeviceView {
  deviceId: string;
  name: string;
  online: boolean;
  wave: number;
  state: string;
  percent: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: Date;
}

export interface DeploymentView {
  id: string;
  status: string;
  statusReason: string | null;
  currentWave: number;
  previousId: string | null;
  strategy: StoredStrategy;
  target: DeploymentTarget;
  createdAt: Date;
  version: { id: string; variant: string; model: { id: string; name: string } };
  devices: DeploymentDeviceView[];
}

const viewSelect = {
  id: true,
  status: true,
  statusReason: true,
  currentWave: true,
  previousId: true,
  strategy: true,
  target: true,
  createdAt: true,
  version: { select: { id: true, variant: true, model: { select: { id: true, name: true } } } },
  devices: {
    select: {
      deviceId: true,
      wave: true,
      state: true,
      percent: true,
      errorCode: true,
      errorMessage: true,
      updatedAt: true,
      device: { select: { name: true } },
    },
    orderBy: [{ wave: "asc" }, { device: { name: "asc" } }],
  },
} satisfies Prisma.DeploymentSelect;

/**
 * The deployments whose devices the caller may see (a scope from fleet-scope.ts; null for all), each showing only
 * those devices.
 */
function scoped(scope: Prisma.DeviceWhereInput | null) {
  if (!scope) return { where: {}, select: viewSelect };
  return {
    where: { devices: { some: { device: scope } } },
    select: { ...viewSelect, devices: { ...viewSelect.devices, where: { device: scope } } },
  };
}

type ViewRow = NonNullable<Awaited<ReturnType<typeof findView>>>;
function findView(db: Db, id: string, scope: Prisma.DeviceWhereInput | null = null) {
  const { where, select } = scoped(scope);
  return db.prisma.deployment.findFirst({ where: { AND: [{ id }, where] }, select });
}

function toView(row: ViewRow, isOnline: (deviceId: string) => boolean): DeploymentView {
  return {
    id: row.id,
    status: row.status,
    statusReason: row.statusReason,
    currentWave: row.currentWave,
    previousId: row.previousId,
    strategy: readStrategy(row.strategy),
    target: deploymentTargetSchema.parse(row.target),
    createdAt: row.createdAt,
    version: row.version,
    devices: row.devices.map((d) => ({
      deviceId: d.deviceId,
      name: d.device.name,
      online: isOnline(d.deviceId),
      wave: d.wave,
      state: d.state,
      percent: d.percent,
      errorCode: d.errorCode,
      errorMessage: d.errorMessage,
      updatedAt: d.updatedAt,
    })),
  };
}

export async function getDeployment(
  db: Db,
  id: string,
  isOnline: (deviceId: string) => boolean,
  scope: Prisma.DeviceWhereInput | null = null,
): Promise<DeploymentView> {
  const row = await findView(db, id, scope);
  if (!row) throw new AppError("NOT_FOUND", "That deployment does not exist.");
  return toView(row, isOnline);
}

export const listDeploymentsInput = z.object({
  versionId: z.string().min(1).max(64).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

/** Newest first. */
export async function listDeployments(
  db: Db,
  input: z.input<typeof listDeploymentsInput>,
  isOnline: (deviceId: string) => boolean,
  scope: Prisma.DeviceWhereInput | null = null,
): Promise<DeploymentView[]> {
  const { versionId, limit } = listDeploymentsInput.parse(input);
  const { where, select } = scoped(scope);
  const rows = await db.prisma.deployment.findMany({
    where: { AND: [versionId ? { versionId } : {}, where] },
    select,
    orderBy: { createdAt: "desc" },
    take: limit,
  });
  return rows.map((r) => toView(r, isOnline));
}
