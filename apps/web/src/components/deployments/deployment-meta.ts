import type { DeploymentTarget } from "@/components/models/api-types";
import type { Tone } from "@/components/ui/badge";

export interface DeploymentStrategy {
  waves: number;
  gate: { maxP95RegressionPct: number; minAccuracy: number | null; iterations: number } | null;
}

export const DEPLOYMENT_STATUS: Record<string, { label: string; tone: Tone }> = {
  rolling_out: { label: "Rolling out", tone: "sky" },
  complete: { label: "Complete", tone: "green" },
  halted: { label: "Halted by the gate", tone: "red" },
  rolled_back: { label: "Rolled back", tone: "amber" },
  removed: { label: "Removed", tone: "neutral" },
  replaced: { label: "Replaced", tone: "neutral" },
};

export const DEVICE_STATE: Record<string, { label: string; tone: Tone }> = {
  pending: { label: "Waiting for its wave", tone: "neutral" },
  queued: { label: "Queued", tone: "neutral" },
  downloading: { label: "Downloading", tone: "sky" },
  verifying: { label: "Verifying", tone: "violet" },
  ready: { label: "Ready", tone: "green" },
  failed: { label: "Failed", tone: "red" },
  removed: { label: "Removed", tone: "neutral" },
};

export function statusOf(status: string): { label: string; tone: Tone } {
  return DEPLOYMENT_STATUS[status] ?? { label: status, tone: "neutral" };
}

export function deviceStateOf(state: string): { label: string; tone: Tone } {
  return DEVICE_STATE[state] ?? { label: state, tone: "neutral" };
}

/** A deployment that can still change: rollback and removal apply to these. */
export function isLive(status: string): boolean {
  return status === "rolling_out" || status === "complete" || status === "halted";
}

export function parseTarget(target: unknown): DeploymentTarget | null {
  if (!target || typeof target !== "object") return null;
  const t = target as Record<string, unknown>;
  if (t.kind === "lab" && typeof t.labId === "string") return { kind: "lab", labId: t.labId };
  if (t.kind === "tag" && typeof t.tag === "string") return { kind: "tag", tag: t.tag };
  if (t.kind === "devices" && Array.isArray(t.deviceIds)) {
    return { kind: "devices", deviceIds: t.deviceIds.filter((d): d is string => typeof d === "string") };
  }
  return null;
}

export function describeTarget(target: unknown, labName?: (id: string) => string | undefined): string {
  const t = parseTarget(target);
  if (!t) return "—";
  if (t.kind === "lab") return `Lab ${labName?.(t.labId) ?? t.labId}`;
  if (t.kind === "tag") return `Tag “${t.tag}”`;
  return `${t.deviceIds.length} ${t.deviceIds.length === 1 ? "device" : "devices"}`;
}

export function parseStrategy(strategy: unknown): DeploymentStrategy {
  const s = (strategy && typeof strategy === "object" ? strategy : {}) as Record<string, unknown>;
  const waves = typeof s.waves === "number" && s.waves >= 1 ? s.waves : 1;
  const g = s.gate && typeof s.gate === "object" ? (s.gate as Record<string, unknown>) : null;
  const gate =
    g && typeof g.maxP95RegressionPct === "number"
      ? {
          maxP95RegressionPct: g.maxP95RegressionPct,
          minAccuracy: typeof g.minAccuracy === "number" ? g.minAccuracy : null,
          iterations: typeof g.iterations === "number" ? g.iterations : 0,
        }
      : null;
  return { waves, gate };
}

export function describeStrategy(strategy: unknown): string {
  const s = parseStrategy(strategy);
  const rollout = s.waves <= 1 ? "All at once" : `${s.waves} waves`;
  if (!s.gate) return rollout;
  const parts = [`p95 may regress at most ${s.gate.maxP95RegressionPct}%`];
  if (s.gate.minAccuracy != null) parts.push(`accuracy at least ${(s.gate.minAccuracy * 100).toFixed(0)}%`);
  return `${rollout}; gate: ${parts.join(", ")}`;
}
