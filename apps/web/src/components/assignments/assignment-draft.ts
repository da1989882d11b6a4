import type { RouterInputs, RouterOutputs } from "@labfleet/api/client";
import type { RunKind } from "@labfleet/protocol";
import { defaultSpec, parseSpec, type SpecDraft } from "../runs/spec.ts";

export type AssignmentView = RouterOutputs["assignment"]["get"];
export type AssignmentFields = Omit<RouterInputs["assignment"]["create"], "classId">;

export const INSTRUCTIONS_MAX = 20_000;
export const MAX_VERSIONS = 8;

/** The assignment form as typed (strings, so a half-typed number is not lost); parseDraft builds the input. */
export interface AssignmentDraft {
  title: string;
  instructions: string;
  kind: RunKind;
  versionIds: string[];
  spec: SpecDraft;
  threadsMin: string;
  threadsMax: string;
  batchMin: string;
  batchMax: string;
  /** Percent, 0–100 (stored as 0–1). */
  accuracyMinPct: string;
  p95MsMax: string;
  /** Millijoules per inference (stored as joules). */
  energyMJMax: string;
  /** A datetime-local value, in the browser's time zone. */
  dueAt: string;
  lateKind: "accept" | "reject" | "penalty";
  percentPerDay: string;
  maxDays: string;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** The value a datetime-local input shows for a date, in local time. */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function emptyDraft(now: Date = new Date()): AssignmentDraft {
  const due = new Date(now.getTime() + 7 * 24 * 3_600_000);
  due.setHours(23, 59, 0, 0);
  return {
    title: "",
    instructions: "",
    kind: "benchmark",
    versionIds: [],
    spec: defaultSpec("benchmark"),
    threadsMin: "1",
    threadsMax: "4",
    batchMin: "",
    batchMax: "",
    accuracyMinPct: "",
    p95MsMax: "",
    energyMJMax: "",
    dueAt: toLocalInput(due),
    lateKind: "accept",
    percentPerDay: "10",
    maxDays: "3",
  };
}

const str = (n: number | undefined | null) => (n == null ? "" : String(n));

export function draftFromAssignment(a: AssignmentView): AssignmentDraft {
  const s = a.baseSpec;
  const spec: SpecDraft = s
    ? {
        kind: s.kind,
        warmup: str(s.warmup),
        iterations: str(s.iterations),
        durationS: s.durationMs == null ? "" : String(Math.round(s.durationMs / 1000)),
        batchSize: str(s.batchSize),
        threads: str(s.threads),
        executionProvider: s.executionProvider,
        timeoutS: String(Math.round(s.timeoutMs / 1000)),
      }
    : defaultSpec(a.kind);
  const late = a.latePolicy;
  return {
    title: a.title,
    instructions: a.instructions,
    kind: a.kind,
    versionIds: a.versions.map((v) => v.id),
    spec,
    threadsMin: str(a.bounds.threads?.min),
    threadsMax: str(a.bounds.threads?.max),
    batchMin: str(a.bounds.batchSize?.min),
    batchMax: str(a.bounds.batchSize?.max),
    accuracyMinPct: a.targets?.accuracyMin == null ? "" : String(Math.round(a.targets.accuracyMin * 1000) / 10),
    p95MsMax: str(a.targets?.p95MsMax),
    energyMJMax: a.targets?.energyJMax == null ? "" : String(a.targets.energyJMax * 1000),
    dueAt: toLocalInput(new Date(a.dueAt)),
    lateKind: late.kind,
    percentPerDay: late.kind === "penalty" ? String(late.percentPerDay) : "10",
    maxDays: late.kind === "penalty" ? String(late.maxDays) : "3",
  };
}

function num(raw: string): number | null | "bad" {
  const t = raw.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : "bad";
}

/** A min–max pair: both empty means the student may not change it; otherwise both whole numbers, min ≤ max. */
function range(
  name: string,
  minRaw: string,
  maxRaw: string,
  lo: number,
  hi: number,
): { value?: { min: number; max: number }; error?: string } {
  const min = num(minRaw);
  const max = num(maxRaw);
  if (min === null && max === null) return {};
  const whole = (v: number | null | "bad"): v is number => typeof v === "number" && Number.isInteger(v);
  if (!whole(min) || !whole(max) || min < lo || max > hi) {
    return { error: `${name}: both limits are whole numbers from ${lo} to ${hi} (or leave both empty).` };
  }
  if (min > max) return { error: `${name}: the minimum is above the maximum.` };
  return { value: { min, max } };
}

/** Checks the draft as the server will and builds the input, or says what is wrong (the first problem). */
export function parseDraft(d: AssignmentDraft): { fields: AssignmentFields | null; error: string | null } {
  const fail = (error: string) => ({ fields: null, error });
  if (d.title.trim() === "") return fail("Give the assignment a title.");
  if (d.instructions.length > INSTRUCTIONS_MAX) return fail(`Instructions are at most ${INSTRUCTIONS_MAX} characters.`);
  if (d.versionIds.length === 0) return fail("Choose at least one model version.");
  if (d.versionIds.length > MAX_VERSIONS) return fail(`Choose at most ${MAX_VERSIONS} model versions.`);
  const { spec, error } = parseSpec({ ...d.spec, kind: d.kind });
  if (!spec) return fail(error ?? "The run spec is not valid.");
  const threads = range("Threads", d.threadsMin, d.threadsMax, 1, 1_024);
  if (threads.error) return fail(threads.error);
  const batchSize = range("Batch size", d.batchMin, d.batchMax, 1, 256);
  if (batchSize.error) return fail(batchSize.error);
  const inside = (v: number | undefined, r: { min: number; max: number } | undefined) =>
    v === undefined || r === undefined || (v >= r.min && v <= r.max);
  if (!inside(spec.threads, threads.value)) return fail("The run spec's threads are outside the threads bounds.");
  if (!inside(spec.batchSize ?? 1, batchSize.value)) {
    return fail("The run spec's batch size is outside the batch size bounds.");
  }
  const acc = num(d.accuracyMinPct);
  const p95 = num(d.p95MsMax);
  const energy = num(d.energyMJMax);
  if (acc === "bad" || (acc !== null && (acc < 0 || acc > 100))) return fail("Accuracy is a percentage from 0 to 100.");
  if (p95 === "bad" || (p95 !== null && p95 <= 0)) return fail("The p95 latency target is a positive number of ms.");
  if (energy === "bad" || (energy !== null && energy <= 0))
    return fail("The energy target is a positive number of mJ.");
  if (acc === null && p95 === null && energy === null) return fail("Set at least one target.");
  const due = new Date(d.dueAt);
  if (d.dueAt === "" || Number.isNaN(due.getTime())) return fail("Set a due date.");
  let latePolicy: AssignmentFields["latePolicy"];
  if (d.lateKind === "penalty") {
    const pct = num(d.percentPerDay);
    const days = num(d.maxDays);
    if (pct === null || pct === "bad" || pct < 0 || pct > 100)
      return fail("The penalty is a percentage from 0 to 100.");
    if (days === null || days === "bad" || !Number.isInteger(days) || days < 0 || days > 365) {
      return fail("The number of late days accepted is a whole number from 0 to 365.");
    }
    latePolicy = { kind: "penalty", percentPerDay: pct, maxDays: days };
  } else {
    latePolicy = { kind: d.lateKind };
  }
  return {
    error: null,
    fields: {
      title: d.title.trim(),
      instructions: d.instructions,
      kind: d.kind,
      versionIds: d.versionIds,
      baseSpec: { ...spec, kind: d.kind },
      bounds: {
        ...(threads.value ? { threads: threads.value } : {}),
        ...(batchSize.value ? { batchSize: batchSize.value } : {}),
      },
      targets: {
        ...(acc !== null ? { accuracyMin: acc / 100 } : {}),
        ...(p95 !== null ? { p95MsMax: p95 } : {}),
        ...(energy !== null ? { energyJMax: energy / 1000 } : {}),
      },
      dueAt: due,
      latePolicy,
    },
  };
}

/** How a target reads for a person: "p95 ≤ 20 ms". */
export function describeTarget(target: string, limit: number): string {
  switch (target) {
    case "accuracyMin":
      return `Accuracy ≥ ${(limit * 100).toFixed(1)}%`;
    case "p95MsMax":
      return `p95 latency ≤ ${limit} ms`;
    case "energyJMax":
      return `Energy ≤ ${(limit * 1000).toFixed(1)} mJ per inference`;
    default:
      return target;
  }
}

export function describeValue(target: string, value: number | null): string {
  if (value === null) return "—";
  switch (target) {
    case "accuracyMin":
      return `${(value * 100).toFixed(1)}%`;
    case "p95MsMax":
      return `${value.toFixed(2)} ms`;
    case "energyJMax":
      return `${(value * 1000).toFixed(1)} mJ`;
    default:
      return String(value);
  }
}

export function describeLatePolicy(p: AssignmentView["latePolicy"]): string {
  switch (p.kind) {
    case "accept":
      return "Late work is accepted without penalty.";
    case "reject":
      return "Late work is not accepted.";
    case "penalty":
      return `Late work loses ${p.percentPerDay} points per started day, for up to ${p.maxDays} ${p.maxDays === 1 ? "day" : "days"}; after that it is not accepted.`;
  }
}

export function formatScore(score: number | null | undefined): string {
  return score == null ? "—" : `${Math.round(score * 10) / 10}`;
}

export interface TargetPreview {
  target: "accuracyMin" | "p95MsMax" | "energyJMax";
  limit: number;
  value: number | null;
  passed: boolean;
}

/**
 * Each target against a run's measures, to show before submitting. The same comparisons as the server's grading
 * (inclusive limits; no value is a miss); the grade itself is always the server's.
 */
export function previewTargets(
  targets: AssignmentView["targets"],
  m: { accuracy: number | null; p95Ms: number | null; energyJPerInference: number | null },
): TargetPreview[] {
  if (!targets) return [];
  const out: TargetPreview[] = [];
  if (targets.accuracyMin !== undefined) {
    const v = m.accuracy;
    out.push({
      target: "accuracyMin",
      limit: targets.accuracyMin,
      value: v,
      passed: v !== null && v >= targets.accuracyMin,
    });
  }
  if (targets.p95MsMax !== undefined) {
    const v = m.p95Ms;
    out.push({ target: "p95MsMax", limit: targets.p95MsMax, value: v, passed: v !== null && v <= targets.p95MsMax });
  }
  if (targets.energyJMax !== undefined) {
    const v = m.energyJPerInference;
    out.push({
      target: "energyJMax",
      limit: targets.energyJMax,
      value: v,
      passed: v !== null && v <= targets.energyJMax,
    });
  }
  return out;
}
