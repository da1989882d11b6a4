import { createHmac, timingSafeEqual } from "node:crypto";
import { type RunProgress, runResultSigningText, type SignedRunResult } from "@labfleet/protocol";
import { raiseWorkloadFailed } from "../alert.ts";
import type { Db } from "../deps.ts";
import { signingHashesFor } from "../device-credential.ts";
import type { RunDeps } from "./deps.ts";

/** HMAC-SHA256 (hex) of the result's signing text, keyed with the SHA-256 hex of the device secret. */
export function signRunResult(secretHash: string, text: string): string {
  return createHmac("sha256", Buffer.from(secretHash, "utf8")).update(text, "utf8").digest("hex");
}

/**
 * Whether one of the device's credentials signed this result: a live one, or one a rotation retired after the
 * run was created (see signingHashesFor).
 */
export async function verifyRunSignature(
  db: Db,
  deviceId: string,
  result: SignedRunResult,
  runCreatedAt: Date,
): Promise<boolean> {
  const hashes = await signingHashesFor(db, deviceId, runCreatedAt);
  const text = runResultSigningText(result);
  const given = Buffer.from(result.signature, "hex");
  return hashes.some((hash) => {
    const expected = Buffer.from(signRunResult(hash, text), "hex");
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

const OPEN_STATUSES = ["queued", "running"];

/**
 * Stores a device's result for one of its own runs that has not ended yet. A replay (the buffer sends a result
 * again after a restart), a result for another device's run, or for an unknown run changes nothing.
 * Returns whether the run was updated.
 */
export async function ingestRunResult(deps: RunDeps, deviceId: string, signed: SignedRunResult): Promise<boolean> {
  const { db, hub } = deps;
  const run = await db.prisma.run.findUnique({
    where: { id: signed.runId },
    select: { id: true, deviceId: true, groupId: true, status: true, createdAt: true },
  });
  if (!run || run.deviceId !== deviceId) {
    db.log.warn({ deviceId, runId: signed.runId }, "result for an unknown run ignored");
    return false;
  }
  if (!OPEN_STATUSES.includes(run.status)) return false;
  const signatureValid = await verifyRunSignature(db, deviceId, signed, run.createdAt);
  if (!signatureValid) db.log.warn({ deviceId, runId: run.id }, "run result signature does not match");
  const { signature, ...result } = signed;
  const res = await db.prisma.run.updateMany({
    where: { id: run.id, status: { in: OPEN_STATUSES } },
    data: {
      status: result.status,
      result,
      signature,
      signatureValid,
      p50Ms: result.latencyMs?.p50 ?? null,
      p95Ms: result.latencyMs?.p95 ?? null,
      throughput: result.throughputPerS,
      accuracy: result.accuracy,
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message ?? null,
      startedAt: new Date(result.startedAt),
      finishedAt: new Date(result.finishedAt),
    },
  });
  if (res.count === 0) return false;
  hub.publishRun({ runId: run.id, groupId: run.groupId, deviceId, status: result.status, progress: null });
  if (result.status === "failed") {
    const why = result.error ? `${result.error.code}: ${result.error.message}` : "no reason given";
    await raiseWorkloadFailed(deps, deviceId, `Run ${run.id} failed: ${why}`).catch((err: unknown) =>
      db.log.error({ err, runId: run.id }, "workload_failed alert not raised"),
    );
  }
  return true;
}

/** Live progress of a running run (not stored beyond the latest; a run that ended ignores it). */
export async function applyRunProgress(deps: RunDeps, deviceId: string, progress: RunProgress): Promise<void> {
  const { db, hub } = deps;
  const run = await db.prisma.run.findUnique({
    where: { id: progress.runId },
    select: { deviceId: true, groupId: true, status: true, startedAt: true },
  });
  if (!run || run.deviceId !== deviceId || !OPEN_STATUSES.includes(run.status)) return;
  const res = await db.prisma.run.updateMany({
    where: { id: progress.runId, status: { in: OPEN_STATUSES } },
    data: { progress, status: "running", ...(run.startedAt ? {} : { startedAt: new Date() }) },
  });
  if (res.count > 0) {
    hub.publishRun({ runId: progress.runId, groupId: run.groupId, deviceId, status: "running", progress });
  }
}
