// The audit log: what admins and instructors did. Written after the action succeeded, never with secrets;
// a failure to write it is logged and does not undo the action (the action already happened).
import type { Prisma } from "@labfleet/db";
import { z } from "zod";
import type { Db } from "./deps.ts";

export interface AuditActor {
  id: string;
  name: string;
  role: string;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  detail?: Record<string, unknown>;
}

/** Keys whose values never reach the log, at any depth. */
const SECRET_KEY = /secret|token|password|passwd|cookie|authorization|credential|csv|pin$/i;
const MAX_DETAIL_CHARS = 4_000;
const MAX_STRING = 300;

/** A copy of `value` fit for the audit log: secrets dropped, long strings cut, depth and size bounded. */
export function auditDetail(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= 4) return "…";
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => auditDetail(v, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEY.test(k) || v === undefined || typeof v === "function") continue;
      out[k] = auditDetail(v, depth + 1);
    }
    return out;
  }
  return String(value);
}

function boundedDetail(detail: Record<string, unknown> | undefined): Prisma.InputJsonValue {
  const clean = auditDetail(detail ?? {}) as Record<string, unknown>;
  const text = JSON.stringify(clean);
  return text.length <= MAX_DETAIL_CHARS
    ? (clean as Prisma.InputJsonValue)
    : { truncated: text.slice(0, MAX_DETAIL_CHARS) };
}

export async function recordAudit(db: Db, actor: AuditActor | null, entry: AuditEntry): Promise<void> {
  try {
    await db.prisma.auditLog.create({
      data: {
        actorId: actor?.id ?? null,
        actorName: actor?.name ?? null,
        actorRole: actor?.role ?? null,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        detail: boundedDetail(entry.detail),
      },
    });
  } catch (e) {
    db.log.error({ err: e, action: entry.action }, "cannot write the audit log");
  }
}

export const listAuditInput = z.object({
  action: z.string().max(80).optional(),
  actorId: z.string().max(64).optional(),
  /** Entries before this one (keyset paging, newest first). */
  before: z.date().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.date(),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  actorRole: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  detail: z.unknown(),
});

export async function listAudit(db: Db, input: z.infer<typeof listAuditInput>) {
  return db.prisma.auditLog.findMany({
    where: {
      ...(input.action ? { action: { startsWith: input.action } } : {}),
      ...(input.actorId ? { actorId: input.actorId } : {}),
      ...(input.before ? { at: { lt: input.before } } : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: input.limit,
  });
}
