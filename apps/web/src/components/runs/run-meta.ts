import type { RunProgress, RunResult } from "@labfleet/protocol";
import type { GroupRun } from "@/components/models/api-types";
import type { Tone } from "@/components/ui/badge";
import { formatPercent, formatTempC, MISSING } from "../../lib/format.ts";

export const RUN_STATUS: Record<string, { label: string; tone: Tone }> = {
  queued: { label: "Queued", tone: "neutral" },
  running: { label: "Running", tone: "sky" },
  succeeded: { label: "Succeeded", tone: "green" },
  failed: { label: "Failed", tone: "red" },
  cancelled: { label: "Cancelled", tone: "amber" },
  timed_out: { label: "Timed out", tone: "red" },
};

export function runStatusOf(status: string): { label: string; tone: Tone } {
  return RUN_STATUS[status] ?? { label: status, tone: "neutral" };
}

export function isActive(status: string): boolean {
  return status === "queued" || status === "running";
}

export const PHASE_LABEL: Record<string, string> = {
  downloading: "Downloading the model",
  loading: "Loading the model",
  warmup: "Warming up",
  measuring: "Measuring",
  evaluating: "Evaluating",
};

export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return MISSING;
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatThroughput(perS: number | null | undefined): string {
  if (perS == null || !Number.isFinite(perS)) return MISSING;
  return `${perS >= 100 ? perS.toFixed(0) : perS >= 10 ? perS.toFixed(1) : perS.toFixed(2)} /s`;
}

export function formatAccuracy(acc: number | null | undefined): string {
  if (acc == null || !Number.isFinite(acc)) return MISSING;
  return `${(acc * 100).toFixed(1)}%`;
}

/** A result read from a JSON column: the fields the pages need are checked, not assumed. */
export function asResult(value: unknown): RunResult | null {
  if (!value || typeof value !== "object") return null;
  const r = value as Partial<RunResult>;
  if (typeof r.runId !== "string" || !r.env || !r.system) return null;
  return r as RunResult;
}

export function asProgress(value: unknown): RunProgress | null {
  if (!value || typeof value !== "object") return null;
  const p = value as Partial<RunProgress>;
  if (typeof p.phase !== "string" || typeof p.done !== "number") return null;
  return p as RunProgress;
}

/** "Measuring 12 / 20", "Measuring 4.2 s" for a run bounded by time. */
export function describeProgress(p: RunProgress): string {
  const phase = PHASE_LABEL[p.phase] ?? p.phase;
  if (p.phase === "downloading" || p.phase === "loading") return phase;
  if (p.total !== null && p.total > 0) return `${phase} ${p.done} / ${p.total}`;
  return `${phase} · ${p.done} done · ${(p.elapsedMs / 1_000).toFixed(1)} s`;
}

export function progressPercent(p: RunProgress | null, durationMs?: number | null): number | null {
  if (!p) return null;
  if (p.total !== null && p.total > 0) return Math.min(100, (p.done / p.total) * 100);
  if (durationMs && durationMs > 0 && p.phase === "measuring") return Math.min(100, (p.elapsedMs / durationMs) * 100);
  return null;
}

/** The spec stored with a run, read defensively for display. */
export function describeSpec(spec: unknown): string {
  if (!spec || typeof spec !== "object") return MISSING;
  const s = spec as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof s.warmup === "number") parts.push(`${s.warmup} warm-up`);
  if (typeof s.iterations === "number") parts.push(`${s.iterations} iterations`);
  if (typeof s.durationMs === "number") parts.push(`${(s.durationMs / 1_000).toFixed(0)} s`);
  if (typeof s.batchSize === "number") parts.push(`batch ${s.batchSize}`);
  parts.push(typeof s.threads === "number" ? `${s.threads} threads` : "default threads");
  if (typeof s.executionProvider === "string") parts.push(s.executionProvider);
  return parts.join(" · ");
}

/** Why a seat is slow, in words, from what its hardware did during the run. */
export function explainFlags(run: GroupRun): string | null {
  if (!run.flags.throttled && !run.flags.hot) return null;
  const sys = run.system;
  const parts: string[] = [];
  if (run.flags.throttled) {
    parts.push(
      sys?.throttledShare != null
        ? `throttled for ${formatPercent(sys.throttledShare * 100)} of the run`
        : "throttled during the run",
    );
  }
  if (run.flags.hot) {
    parts.push(sys?.cpuTempCMax != null ? `ran hot (up to ${formatTempC(sys.cpuTempCMax)})` : "ran hot");
  }
  return `Its CPU ${parts.join(" and ")}, so its numbers are lower than the hardware can do.`;
}
