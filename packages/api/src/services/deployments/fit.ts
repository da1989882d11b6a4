import { type Inventory, inventorySchema, type TelemetrySample } from "@labfleet/protocol";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import { latestSamples } from "../telemetry.ts";
import { type CheckFitInput, checkFitInput, type DeploymentTarget } from "./schemas.ts";

export interface TargetDevice {
  id: string;
  name: string;
  inventory: unknown;
}

/** The devices a target names, revoked ones left out. An unknown lab or device is an error, an empty tag is not. */
export async function resolveTarget(db: Db, target: DeploymentTarget): Promise<TargetDevice[]> {
  const select = { id: true, name: true, inventory: true } as const;
  const orderBy = { name: "asc" } as const;
  switch (target.kind) {
    case "lab": {
      const lab = await db.prisma.lab.findUnique({ where: { id: target.labId }, select: { id: true } });
      if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
      return db.prisma.device.findMany({ where: { labId: target.labId, revokedAt: null }, select, orderBy });
    }
    case "devices": {
      const ids = [...new Set(target.deviceIds)];
      const rows = await db.prisma.device.findMany({
        where: { id: { in: ids } },
        select: { ...select, revokedAt: true },
      });
      if (rows.length < ids.length) throw new AppError("NOT_FOUND", "One of the chosen devices does not exist.");
      // In the order given: the first devices chosen go in the first wave.
      const order = new Map(ids.map((deviceId, i) => [deviceId, i]));
      return rows
        .filter((r) => !r.revokedAt)
        .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
        .map(({ revokedAt: _r, ...r }) => r);
    }
    case "tag":
      return db.prisma.device.findMany({ where: { tags: { has: target.tag }, revokedAt: null }, select, orderBy });
  }
}

export interface FitResult {
  fits: { deviceId: string; name: string }[];
  misfits: { deviceId: string; name: string; reason: string }[];
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Free disk as the latest sample reports it; null when no sample says. */
function freeDiskBytes(sample: TelemetrySample | undefined): number | null {
  if (!sample || sample.diskTotalBytes == null || sample.diskUsedBytes == null) return null;
  return Math.max(0, sample.diskTotalBytes - sample.diskUsedBytes);
}

/** Why this device cannot hold and run the version; empty when it can. */
export function misfitReasons(
  inventory: Inventory,
  freeDisk: number | null,
  need: { memoryBytes: number; fileBytes: number; runtime: string; executionProvider: string },
): string[] {
  const reasons: string[] = [];
  if (inventory.memory.totalBytes < need.memoryBytes) {
    reasons.push(`needs ${gib(need.memoryBytes)} of memory, has ${gib(inventory.memory.totalBytes)}`);
  }
  if (freeDisk != null && freeDisk < need.fileBytes) {
    reasons.push(`needs ${gib(need.fileBytes)} of free disk, has ${gib(freeDisk)}`);
  }
  const runtime = inventory.runtimes.find((r) => r.name === need.runtime);
  if (!runtime) {
    reasons.push(`runtime ${need.runtime} is not available on this device`);
  } else if (!runtime.executionProviders.includes(need.executionProvider)) {
    reasons.push(`execution provider ${need.executionProvider} is not available in ${need.runtime}`);
  }
  return reasons;
}

/** Which devices of a target can hold and run a version, and why the others cannot. */
export async function checkFit(db: Db, input: CheckFitInput): Promise<FitResult> {
  const { versionId, target, executionProvider } = checkFitInput.parse(input);
  const version = await db.prisma.modelVersion.findUnique({
    where: { id: versionId },
    select: { runtime: true, minMemoryBytes: true, files: { select: { blob: { select: { sizeBytes: true } } } } },
  });
  if (!version) throw new AppError("NOT_FOUND", "That model version does not exist.");
  const need = {
    memoryBytes: Number(version.minMemoryBytes),
    fileBytes: version.files.reduce((sum, f) => sum + Number(f.blob.sizeBytes), 0),
    runtime: version.runtime,
    executionProvider,
  };
  const devices = await resolveTarget(db, target);
  const samples = await latestSamples(
    db,
    devices.map((d) => d.id),
  );
  const result: FitResult = { fits: [], misfits: [] };
  for (const d of devices) {
    const inventory = d.inventory == null ? null : inventorySchema.safeParse(d.inventory);
    if (!inventory?.success) {
      result.misfits.push({ deviceId: d.id, name: d.name, reason: "no inventory yet: the agent has not reported" });
      continue;
    }
    const reasons = misfitReasons(inventory.data, freeDiskBytes(samples.get(d.id)), need);
    if (reasons.length === 0) result.fits.push({ deviceId: d.id, name: d.name });
    else result.misfits.push({ deviceId: d.id, name: d.name, reason: reasons.join("; ") });
  }
  return result;
}
