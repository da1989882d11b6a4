import { type RunSpec, type RunSpecInput, runSpecSchema } from "@labfleet/protocol";
import { AppError } from "../../errors.ts";
import { toVersionRef, versionRefSelect } from "../deployments/desired.ts";
import type { RunDeps } from "./deps.ts";

/** How long an agent has to accept or refuse a run. */
export const RUN_ACK_TIMEOUT_MS = 10_000;

type VersionRef = ReturnType<typeof toVersionRef>;

async function loadVersion(deps: RunDeps, versionId: string): Promise<VersionRef> {
  const v = await deps.db.prisma.modelVersion.findUnique({ where: { id: versionId }, select: versionRefSelect });
  if (!v) throw new AppError("NOT_FOUND", "That model version does not exist.");
  if (v.files.length === 0) throw new AppError("CONFLICT", "That model version has no files yet.");
  return toVersionRef(v);
}

interface RunStartPlan {
  deviceId: string;
  version: VersionRef;
  spec: RunSpec;
  groupId: string | null;
  userId: string | null;
  /** A student's run: who, in which lab session, for which assignment. */
  student?: StudentRunRef;
}

export interface StudentRunRef {
  studentId: string;
  sessionId: string;
  assignmentId: string;
}

/** Creates the run row (queued) and tells the dashboards. */
async function createRun(deps: RunDeps, plan: RunStartPlan): Promise<string> {
  const run = await deps.db.prisma.run.create({
    data: {
      deviceId: plan.deviceId,
      versionId: plan.version.versionId,
      groupId: plan.groupId,
      kind: plan.spec.kind,
      spec: plan.spec,
      createdById: plan.userId,
      ...(plan.student ?? {}),
    },
    select: { id: true },
  });
  deps.hub.publishRun({
    runId: run.id,
    groupId: plan.groupId,
    deviceId: plan.deviceId,
    status: "queued",
    progress: null,
  });
  return run.id;
}

/**
 * Hands a queued run to its agent and records the answer: accepted → running; refused or no answer in time →
 * failed with the reason. Only a run still queued is changed, so a result that raced ahead is never overwritten.
 */
async function dispatchRun(deps: RunDeps, runId: string, plan: RunStartPlan, ackTimeoutMs: number): Promise<void> {
  const { db, hub } = deps;
  let outcome: { status: "running" } | { status: "failed"; code: string; message: string };
  try {
    const ack = await hub.startRunOnAgent(plan.deviceId, { runId, ...plan.version, spec: plan.spec }, ackTimeoutMs);
    outcome = ack.ok ? { status: "running" } : { status: "failed", code: ack.error.code, message: ack.error.message };
  } catch {
    outcome = {
      status: "failed",
      code: "NO_ANSWER",
      message: `The agent did not answer the run request within ${Math.round(ackTimeoutMs / 1000)} s.`,
    };
  }
  const now = new Date();
  const data =
    outcome.status === "running"
      ? { status: "running", startedAt: now }
      : { status: "failed", finishedAt: now, errorCode: outcome.code, errorMessage: outcome.message };
  const res = await db.prisma.run.updateMany({ where: { id: runId, status: "queued" }, data });
  if (res.count === 0) return;
  if (outcome.status === "failed") db.log.warn({ runId, deviceId: plan.deviceId, code: outcome.code }, "run refused");
  hub.publishRun({ runId, groupId: plan.groupId, deviceId: plan.deviceId, status: outcome.status, progress: null });
}

/** Starts one run of a version on one online device. Resolves once the agent has accepted or refused it. */
export async function startRun(
  deps: RunDeps,
  input: { versionId: string; deviceId: string; spec: RunSpecInput; userId: string | null; student?: StudentRunRef },
  ackTimeoutMs = RUN_ACK_TIMEOUT_MS,
): Promise<string> {
  const spec = runSpecSchema.parse(input.spec);
  const device = await deps.db.prisma.device.findUnique({
    where: { id: input.deviceId },
    select: { id: true, revokedAt: true },
  });
  if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
  if (device.revokedAt) throw new AppError("CONFLICT", "The device was revoked.");
  const version = await loadVersion(deps, input.versionId);
  if (!deps.hub.isOnline(device.id)) throw new AppError("CONFLICT", "the device is offline");
  const plan: RunStartPlan = {
    deviceId: device.id,
    version,
    spec,
    groupId: null,
    userId: input.userId,
    ...(input.student ? { student: input.student } : {}),
  };
  const runId = await createRun(deps, plan);
  await dispatchRun(deps, runId, plan, ackTimeoutMs);
  return runId;
}

export interface GroupStart {
  groupId: string;
  runIds: string[];
  skipped: { deviceId: string; name: string; reason: string }[];
}

/**
 * Starts the same spec on several devices at once, as one group. Offline devices are skipped with the reason.
 * Used by the room-wide benchmark and by a deployment's gate.
 */
export async function startGroupRuns(
  deps: RunDeps,
  input: {
    versionId: string;
    devices: { id: string; name: string }[];
    spec: RunSpecInput;
    labId: string | null;
    userId: string | null;
    /** false: return once the runs exist, and record the agents' answers in the background. */
    waitForAcks?: boolean;
  },
  ackTimeoutMs = RUN_ACK_TIMEOUT_MS,
): Promise<GroupStart> {
  const spec = runSpecSchema.parse(input.spec);
  const version = await loadVersion(deps, input.versionId);
  const online = input.devices.filter((d) => deps.hub.isOnline(d.id));
  const skipped = input.devices
    .filter((d) => !deps.hub.isOnline(d.id))
    .map((d) => ({ deviceId: d.id, name: d.name, reason: "offline" }));
  const group = await deps.db.prisma.runGroup.create({
    data: { labId: input.labId, versionId: version.versionId, spec, createdById: input.userId },
    select: { id: true },
  });
  const plans = online.map((d) => ({
    deviceId: d.id,
    version,
    spec,
    groupId: group.id,
    userId: input.userId,
  }));
  const runIds: string[] = [];
  for (const plan of plans) runIds.push(await createRun(deps, plan));
  // All at once: the point of a room-wide run is that every seat measures under the same conditions.
  const dispatched = Promise.all(plans.map((plan, i) => dispatchRun(deps, runIds[i] as string, plan, ackTimeoutMs)));
  if (input.waitForAcks === false) {
    dispatched.catch((err: unknown) => deps.db.log.error({ err, groupId: group.id }, "group runs not dispatched"));
  } else {
    await dispatched;
  }
  return { groupId: group.id, runIds, skipped };
}

/** One spec on every online device of a lab at once. */
export async function startRoomRun(
  deps: RunDeps,
  input: { versionId: string; labId: string; spec: RunSpecInput; userId: string | null },
  ackTimeoutMs = RUN_ACK_TIMEOUT_MS,
): Promise<GroupStart> {
  const lab = await deps.db.prisma.lab.findUnique({ where: { id: input.labId }, select: { id: true } });
  if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  const devices = await deps.db.prisma.device.findMany({
    where: { labId: lab.id, revokedAt: null },
    select: { id: true, name: true },
    orderBy: { name: "asc" },
  });
  if (devices.length === 0) throw new AppError("CONFLICT", "That lab has no devices.");
  if (!devices.some((d) => deps.hub.isOnline(d.id))) throw new AppError("CONFLICT", "No device of that lab is online.");
  return startGroupRuns(deps, { ...input, devices }, ackTimeoutMs);
}

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

/**
 * Asks the agent to stop a run; its result (cancelled) comes back through the buffer. A run whose device is
 * not connected is marked cancelled at once, since nobody is there to answer.
 */
export async function cancelRun(deps: RunDeps, runId: string): Promise<void> {
  const { db, hub } = deps;
  const run = await db.prisma.run.findUnique({
    where: { id: runId },
    select: { id: true, deviceId: true, groupId: true, status: true },
  });
  if (!run) throw new AppError("NOT_FOUND", "That run does not exist.");
  if (FINAL.includes(run.status))
    throw new AppError("CONFLICT", `This run already ended (${run.status.replace("_", " ")}).`);
  if (hub.cancelRunOnAgent(run.deviceId, { runId })) {
    db.log.info({ runId, deviceId: run.deviceId }, "run cancel sent");
    return;
  }
  const res = await db.prisma.run.updateMany({
    where: { id: runId, status: { in: ["queued", "running"] } },
    data: {
      status: "cancelled",
      finishedAt: new Date(),
      errorCode: "CANCELLED",
      errorMessage: "Cancelled while the device was offline.",
    },
  });
  if (res.count > 0) {
    hub.publishRun({ runId, groupId: run.groupId, deviceId: run.deviceId, status: "cancelled", progress: null });
  }
}
