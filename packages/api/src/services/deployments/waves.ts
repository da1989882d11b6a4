import { startGroupRuns } from "../runs/start.ts";
import { readStrategy } from "./deployments.ts";
import { type DeploymentDeps, pushDesired } from "./deps.ts";
import type { DeploymentGate } from "./schemas.ts";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

type GateVerdict = { pass: true; reason: string } | { pass: false; reason: string };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * Judges a wave's gate runs. p95 is compared per device against the latest successful benchmark of the
 * previous version on the same device, and the median of those changes decides: one noisy seat does not halt
 * a rollout, a real regression shows on most of them.
 */
async function judgeGate(
  deps: DeploymentDeps,
  gate: DeploymentGate,
  groupId: string,
  previousVersionId: string | null,
  wave: number,
): Promise<GateVerdict> {
  const runs = await deps.db.prisma.run.findMany({
    where: { groupId },
    select: { deviceId: true, status: true, p95Ms: true, accuracy: true, errorMessage: true },
  });
  const ok = runs.filter((r) => r.status === "succeeded");
  if (ok.length === 0) {
    const why = runs.find((r) => r.errorMessage)?.errorMessage;
    return { pass: false, reason: `wave ${wave + 1}: the gate run failed on every device${why ? ` (${why})` : ""}` };
  }
  if (gate.minAccuracy !== undefined) {
    const accs = ok.map((r) => r.accuracy);
    if (accs.some((a) => a == null)) {
      return { pass: false, reason: `wave ${wave + 1}: the gate needs an accuracy and a device reported none` };
    }
    const mean = (accs as number[]).reduce((s, a) => s + a, 0) / accs.length;
    if (mean < gate.minAccuracy) {
      return {
        pass: false,
        reason: `wave ${wave + 1}: accuracy ${mean.toFixed(3)} is below the floor of ${gate.minAccuracy}`,
      };
    }
  }
  const changes: number[] = [];
  if (previousVersionId) {
    for (const r of ok) {
      if (r.p95Ms == null) continue;
      const base = await deps.db.prisma.run.findFirst({
        where: {
          versionId: previousVersionId,
          deviceId: r.deviceId,
          kind: "benchmark",
          status: "succeeded",
          p95Ms: { not: null },
        },
        orderBy: { finishedAt: "desc" },
        select: { p95Ms: true },
      });
      if (base?.p95Ms) changes.push(((r.p95Ms - base.p95Ms) / base.p95Ms) * 100);
    }
  }
  if (changes.length === 0) {
    return {
      pass: true,
      reason: `wave ${wave + 1} passed the gate: there was no baseline of the previous version to compare with`,
    };
  }
  const change = median(changes);
  const text = `p95 ${change >= 0 ? "+" : ""}${change.toFixed(1)}% against the previous version on ${changes.length} device(s)`;
  if (change > gate.maxP95RegressionPct) {
    return { pass: false, reason: `wave ${wave + 1}: ${text}, more than the allowed ${gate.maxP95RegressionPct}%` };
  }
  return { pass: true, reason: `wave ${wave + 1} passed the gate: ${text}` };
}

/**
 * Moves a rolling-out deployment on when every started row is ready: through the gate (when there is one and a
 * wave follows), then to the next wave, or to complete after the last. Safe to call at any time and from
 * several places: each step is a compare-and-set on the deployment's update time.
 */
export function advanceDeployment(deps: DeploymentDeps, id: string): Promise<void> {
  // One step at a time per deployment in this process, so that a status report and the job do not both start
  // a gate; across processes the compare-and-set below keeps the steps apart.
  const prev = inFlight.get(id) ?? Promise.resolve();
  const next = prev.then(() => advanceOnce(deps, id));
  const settled = next.catch(() => undefined);
  inFlight.set(id, settled);
  void settled.then(() => {
    if (inFlight.get(id) === settled) inFlight.delete(id);
  });
  return next;
}

const inFlight = new Map<string, Promise<void>>();

async function advanceOnce(deps: DeploymentDeps, id: string): Promise<void> {
  const { db } = deps;
  const d = await db.prisma.deployment.findUnique({
    where: { id },
    select: {
      id: true,
      status: true,
      currentWave: true,
      versionId: true,
      strategy: true,
      updatedAt: true,
      previousId: true,
      devices: {
        select: { deviceId: true, wave: true, state: true, device: { select: { name: true, revokedAt: true } } },
      },
    },
  });
  if (d?.status !== "rolling_out") return;
  const wave = d.currentWave;
  // A revoked device will never report again: it must not hold the rollout up.
  const started = d.devices.filter((r) => r.wave <= wave && r.state !== "removed" && !r.device.revokedAt);
  if (!started.every((r) => r.state === "ready")) return;
  const strategy = readStrategy(d.strategy);
  const lastWave = d.devices.reduce((m, r) => Math.max(m, r.wave), 0);
  const claim = (data: { status?: string; statusReason?: string | null; currentWave?: number }) =>
    db.prisma.deployment.updateMany({ where: { id, updatedAt: d.updatedAt, status: "rolling_out" }, data });

  let passReason: string | null = null;
  if (strategy.gate && wave < lastWave) {
    const groupId = strategy.gateGroups[String(wave)];
    if (!groupId) {
      const waveDevices = started.filter((r) => r.wave === wave).map((r) => ({ id: r.deviceId, name: r.device.name }));
      if (!waveDevices.some((w) => deps.hub.isOnline(w.id))) return; // Nobody to measure yet; try again later.
      const gate = strategy.gate;
      const spec =
        gate.minAccuracy !== undefined
          ? { kind: "evaluation" as const, iterations: gate.iterations }
          : { kind: "benchmark" as const, iterations: gate.iterations };
      // Claim first, so that two callers do not both start a gate; the run group id is known only after.
      const claimed = await claim({ statusReason: `wave ${wave + 1}: running the gate` });
      if (claimed.count === 0) return;
      const group = await startGroupRuns(deps, {
        versionId: d.versionId,
        devices: waveDevices,
        spec,
        labId: null,
        userId: null,
        // The caller may be handling this very agent's status report: do not hold its ack on the run's ack.
        waitForAcks: false,
      });
      await db.prisma.deployment.update({
        where: { id },
        data: { strategy: { ...strategy, gateGroups: { ...strategy.gateGroups, [String(wave)]: group.groupId } } },
      });
      deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
      return;
    }
    const pending = await db.prisma.run.count({ where: { groupId, status: { notIn: FINAL } } });
    if (pending > 0) return;
    const previousVersionId = d.previousId
      ? ((await db.prisma.deployment.findUnique({ where: { id: d.previousId }, select: { versionId: true } }))
          ?.versionId ?? null)
      : null;
    const verdict = await judgeGate(deps, strategy.gate, groupId, previousVersionId, wave);
    if (!verdict.pass) {
      const res = await claim({ status: "halted", statusReason: verdict.reason });
      if (res.count > 0) {
        db.log.warn({ deploymentId: id, reason: verdict.reason }, "deployment halted by its gate");
        deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
      }
      return;
    }
    passReason = verdict.reason;
  }

  if (wave >= lastWave) {
    const res = await claim({ status: "complete", statusReason: passReason });
    if (res.count > 0) deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
    return;
  }
  const next = wave + 1;
  const res = await claim({ currentWave: next, statusReason: passReason });
  if (res.count === 0) return;
  await db.prisma.deploymentDevice.updateMany({
    where: { deploymentId: id, wave: next, state: "pending" },
    data: { state: "queued" },
  });
  db.log.info({ deploymentId: id, wave: next }, "deployment wave started");
  await pushDesired(
    deps,
    d.devices.filter((r) => r.wave === next).map((r) => r.deviceId),
  );
  deps.hub.publishDeployment({ deploymentId: id, deviceId: null });
}

/** One pass over every rolling-out deployment (the job, and after anything that may finish a wave). */
export async function advanceAllDeployments(deps: DeploymentDeps): Promise<void> {
  const rows = await deps.db.prisma.deployment.findMany({ where: { status: "rolling_out" }, select: { id: true } });
  for (const r of rows) {
    await advanceDeployment(deps, r.id).catch((err: unknown) =>
      deps.db.log.error({ err, deploymentId: r.id }, "deployment wave advance failed"),
    );
  }
}
