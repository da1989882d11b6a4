import { runSpecSchema } from "@labfleet/protocol";
import type { RunDeps } from "./deps.ts";

/** Grace beyond a run's own timeout before the server gives up on an offline device's result. */
export const RUN_TIMEOUT_GRACE_MS = 2 * 60_000;

/**
 * Marks timed_out the runs that have gone on longer than their timeout plus a grace while their device is not
 * connected. A connected agent enforces the timeout itself and reports it; an offline one may still send its
 * result from the buffer within the grace. Returns how many were marked.
 */
export async function expireRuns(deps: RunDeps, now = Date.now()): Promise<number> {
  const { db, hub } = deps;
  const open = await db.prisma.run.findMany({
    where: { status: { in: ["queued", "running"] } },
    select: { id: true, deviceId: true, groupId: true, spec: true, createdAt: true, startedAt: true },
  });
  let marked = 0;
  for (const run of open) {
    if (hub.isOnline(run.deviceId)) continue;
    const spec = runSpecSchema.safeParse(run.spec);
    const timeoutMs = spec.success ? spec.data.timeoutMs : 600_000;
    const since = (run.startedAt ?? run.createdAt).getTime();
    if (now - since <= timeoutMs + RUN_TIMEOUT_GRACE_MS) continue;
    const res = await db.prisma.run.updateMany({
      where: { id: run.id, status: { in: ["queued", "running"] } },
      data: {
        status: "timed_out",
        finishedAt: new Date(now),
        errorCode: "TIMED_OUT",
        errorMessage: `No result within ${Math.round(timeoutMs / 1000)} s (plus a grace) while the device was offline.`,
      },
    });
    if (res.count === 0) continue;
    marked++;
    db.log.warn({ runId: run.id, deviceId: run.deviceId }, "run timed out while its device was offline");
    hub.publishRun({
      runId: run.id,
      groupId: run.groupId,
      deviceId: run.deviceId,
      status: "timed_out",
      progress: null,
    });
  }
  return marked;
}
