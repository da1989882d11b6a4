import type { Prisma } from "@labfleet/db";
import { type RunResult, runProgressSchema, runResultSchema, runSpecSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";

const summarySelect = {
  id: true,
  groupId: true,
  deviceId: true,
  versionId: true,
  kind: true,
  spec: true,
  status: true,
  progress: true,
  signatureValid: true,
  p50Ms: true,
  p95Ms: true,
  throughput: true,
  accuracy: true,
  errorCode: true,
  errorMessage: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  device: { select: { name: true, seat: { select: { label: true } } } },
  version: { select: { id: true, variant: true, model: { select: { id: true, name: true } } } },
} as const;

type SummaryRow = Awaited<ReturnType<typeof findSummaries>>[number];
function findSummaries(db: Db, where: Prisma.RunWhereInput, take: number) {
  return db.prisma.run.findMany({ where, select: summarySelect, orderBy: { createdAt: "desc" }, take });
}

function toSummary(r: SummaryRow) {
  const spec = runSpecSchema.safeParse(r.spec);
  const progress = runProgressSchema.safeParse(r.progress);
  return {
    id: r.id,
    groupId: r.groupId,
    deviceId: r.deviceId,
    deviceName: r.device.name,
    seatLabel: r.device.seat?.label ?? null,
    version: r.version,
    kind: r.kind,
    spec: spec.success ? spec.data : null,
    status: r.status,
    progress: progress.success ? progress.data : null,
    signatureValid: r.signatureValid,
    p50Ms: r.p50Ms,
    p95Ms: r.p95Ms,
    throughput: r.throughput,
    accuracy: r.accuracy,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}
export type RunSummary = ReturnType<typeof toSummary>;
export type RunDetail = RunSummary & { result: RunResult | null };

function readResult(raw: unknown): RunResult | null {
  const parsed = runResultSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * `visible` narrows what the caller may see (access.ts runWhere); a run outside it is NOT_FOUND, as if it did not
 * exist. Services that already checked access pass nothing.
 */
export async function getRun(db: Db, id: string, visible: Prisma.RunWhereInput = {}): Promise<RunDetail> {
  const r = await db.prisma.run.findFirst({
    where: { AND: [{ id }, visible] },
    select: { ...summarySelect, result: true },
  });
  if (!r) throw new AppError("NOT_FOUND", "That run does not exist.");
  return { ...toSummary(r), result: readResult(r.result) };
}

const id = z.string().min(1).max(64);
export const listRunsInput = z.object({
  deviceId: id.optional(),
  groupId: id.optional(),
  versionId: id.optional(),
  assignmentId: id.optional(),
  studentId: id.optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

/** Newest first, without the full results (they can be large): open one with getRun. */
export async function listRuns(
  db: Db,
  input: z.input<typeof listRunsInput>,
  visible: Prisma.RunWhereInput = {},
): Promise<RunSummary[]> {
  const { deviceId, groupId, versionId, assignmentId, studentId, limit } = listRunsInput.parse(input);
  const where = {
    ...(deviceId ? { deviceId } : {}),
    ...(groupId ? { groupId } : {}),
    ...(versionId ? { versionId } : {}),
    ...(assignmentId ? { assignmentId } : {}),
    ...(studentId ? { studentId } : {}),
  };
  return (await findSummaries(db, { AND: [where, visible] }, limit)).map(toSummary);
}

/** A run is flagged throttled when the CPU throttled in more than this share of its samples. */
export const THROTTLED_SHARE_FLAG = 0.05;

/** A room-wide run: its runs ranked fastest first, each flagged when the seat throttled or ran hot. */
export async function getGroup(db: Db, groupId: string) {
  const g = await db.prisma.runGroup.findUnique({
    where: { id: groupId },
    select: {
      id: true,
      labId: true,
      spec: true,
      createdAt: true,
      lab: { select: { name: true, hotTempC: true } },
      version: { select: { id: true, variant: true, model: { select: { id: true, name: true } } } },
      runs: { select: { ...summarySelect, result: true } },
    },
  });
  if (!g) throw new AppError("NOT_FOUND", "That run group does not exist.");
  const hotTempC = g.lab?.hotTempC ?? 85;
  const runs = g.runs
    .map((r) => {
      const result = readResult(r.result);
      const system = result?.system ?? null;
      return {
        ...toSummary(r),
        system,
        flags: {
          throttled: (system?.throttledShare ?? 0) > THROTTLED_SHARE_FLAG,
          hot: system?.cpuTempCMax != null && system.cpuTempCMax >= hotTempC,
        },
      };
    })
    // Fastest first; runs without a throughput (failed, still running) after them, by name.
    .sort((a, b) => (b.throughput ?? -1) - (a.throughput ?? -1) || a.deviceName.localeCompare(b.deviceName));
  const spec = runSpecSchema.safeParse(g.spec);
  return {
    id: g.id,
    labId: g.labId,
    labName: g.lab?.name ?? null,
    hotTempC,
    spec: spec.success ? spec.data : null,
    createdAt: g.createdAt,
    version: g.version,
    runs: runs.map((r, i) => ({ ...r, rank: r.throughput == null ? null : i + 1 })),
  };
}
export type RunGroupView = Awaited<ReturnType<typeof getGroup>>;

export const compareRunsInput = z.object({ ids: z.array(id).min(1).max(10) });

/** Runs side by side, in the order asked, with their full results. */
export async function compareRuns(
  db: Db,
  input: z.input<typeof compareRunsInput>,
  visible: Prisma.RunWhereInput = {},
): Promise<RunDetail[]> {
  const { ids } = compareRunsInput.parse(input);
  const rows = await db.prisma.run.findMany({
    where: { AND: [{ id: { in: ids } }, visible] },
    select: { ...summarySelect, result: true },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((i) => !byId.has(i));
  if (missing.length > 0) throw new AppError("NOT_FOUND", `No run with id ${missing[0]}.`);
  return ids.map((i) => {
    const r = byId.get(i) as (typeof rows)[number];
    return { ...toSummary(r), result: readResult(r.result) };
  });
}
