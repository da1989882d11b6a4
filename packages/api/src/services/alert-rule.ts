import { ALERT_KINDS, type AlertKind, alertKindSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

export interface RuleValues {
  /** In the kind's unit (°C, %); null for kinds that have none (throttling, offline, workload_failed). */
  threshold: number | null;
  /** How long the condition must hold before the alert fires, seconds. */
  forS: number;
  enabled: boolean;
}

export interface EffectiveRule extends RuleValues {
  kind: AlertKind;
  /** Where the values come from: the built-in default, the fleet-wide row, or the lab's own row. */
  source: "builtin" | "fleet" | "lab";
}

/**
 * Built in rather than seeded: a fresh database alerts without any setup, and a row (fleet-wide with no lab,
 * or per lab) overrides these values. Deleting the row goes back to the default.
 */
export const DEFAULT_RULES: Readonly<Record<AlertKind, RuleValues>> = {
  cpu_temp: { threshold: 90, forS: 30, enabled: true },
  throttling: { threshold: null, forS: 60, enabled: true },
  offline: { threshold: null, forS: 60, enabled: true },
  disk_full: { threshold: 90, forS: 0, enabled: true },
  memory_high: { threshold: 95, forS: 60, enabled: true },
  workload_failed: { threshold: null, forS: 0, enabled: true },
};

/** Kinds whose rule has a threshold, with its unit and bounds, for validation and the UI. */
export const THRESHOLD_BOUNDS: Partial<Record<AlertKind, { min: number; max: number }>> = {
  cpu_temp: { min: 30, max: 150 },
  disk_full: { min: 1, max: 100 },
  memory_high: { min: 1, max: 100 },
};

export const ruleUpdateInput = z.object({
  /** null: the fleet-wide rule that every lab without its own row uses. */
  labId: z.string().min(1).max(64).nullable(),
  kind: alertKindSchema,
  threshold: z.number().finite().nullable(),
  forS: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600),
  enabled: z.boolean(),
});
export type RuleUpdate = z.infer<typeof ruleUpdateInput>;

interface RuleRow extends RuleValues {
  labId: string | null;
  kind: string;
}

/** All rule rows, read once per evaluation; `resolve` picks lab row → fleet row → built-in default. */
export class RuleBook {
  private readonly rows = new Map<string, RuleRow>();
  constructor(rows: RuleRow[]) {
    for (const r of rows) this.rows.set(`${r.labId ?? ""}|${r.kind}`, r);
  }

  resolve(labId: string | null, kind: AlertKind): EffectiveRule {
    const lab = labId ? this.rows.get(`${labId}|${kind}`) : undefined;
    if (lab) return pick(kind, lab, "lab");
    const fleet = this.rows.get(`|${kind}`);
    if (fleet) return pick(kind, fleet, "fleet");
    return { kind, ...DEFAULT_RULES[kind], source: "builtin" };
  }
}

function pick(kind: AlertKind, row: RuleValues, source: EffectiveRule["source"]): EffectiveRule {
  return { kind, threshold: row.threshold, forS: row.forS, enabled: row.enabled, source };
}

export async function loadRuleBook(db: Db): Promise<RuleBook> {
  const rows = await db.prisma.alertRule.findMany({
    select: { labId: true, kind: true, threshold: true, forS: true, enabled: true },
  });
  return new RuleBook(rows);
}

/** The rules in force for a lab (or fleet-wide with null), one per kind. */
export async function listRules(db: Db, labId: string | null): Promise<EffectiveRule[]> {
  const book = await loadRuleBook(db);
  return ALERT_KINDS.map((kind) => book.resolve(labId, kind));
}

export async function updateRule(db: Db, input: RuleUpdate): Promise<EffectiveRule> {
  const bounds = THRESHOLD_BOUNDS[input.kind];
  let threshold: number | null = null;
  if (bounds) {
    if (input.threshold === null || input.threshold < bounds.min || input.threshold > bounds.max) {
      throw new AppError("BAD_REQUEST", `The threshold must be between ${bounds.min} and ${bounds.max}.`);
    }
    threshold = input.threshold;
  }
  if (input.labId) {
    const lab = await db.prisma.lab.findUnique({ where: { id: input.labId }, select: { id: true } });
    if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  }
  const data = { threshold, forS: input.forS, enabled: input.enabled };
  // PostgreSQL treats NULL lab ids as distinct in the unique index, so the fleet-wide row cannot use upsert.
  const existing = await db.prisma.alertRule.findFirst({
    where: { labId: input.labId, kind: input.kind },
    select: { id: true },
  });
  if (existing) await db.prisma.alertRule.update({ where: { id: existing.id }, data });
  else await db.prisma.alertRule.create({ data: { ...data, labId: input.labId, kind: input.kind } });
  return { kind: input.kind, ...data, source: input.labId ? "lab" : "fleet" };
}

/** Drops a lab's (or the fleet-wide) override; the next level up applies again. */
export async function resetRule(db: Db, labId: string | null, kind: AlertKind): Promise<void> {
  await db.prisma.alertRule.deleteMany({ where: { labId, kind } });
}
