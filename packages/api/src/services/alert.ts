import type { Prisma } from "@labfleet/db";
import type { AlertKind, AlertState, AlertSummary, WebhookEvent } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { loadRuleBook } from "./alert-rule.ts";
import type { Db } from "./deps.ts";
import { enqueueAlertEvent, type Tx } from "./webhook.ts";

/** Where alert changes are pushed live; the FleetHub in the control plane. */
export interface AlertBroadcaster {
  publishAlert(alert: AlertSummary): void;
}

export interface AlertDeps {
  db: Db;
  hub: AlertBroadcaster;
}

export const OPEN_STATES: AlertState[] = ["firing", "acknowledged"];

const alertSelect = {
  id: true,
  deviceId: true,
  kind: true,
  state: true,
  message: true,
  value: true,
  firedAt: true,
  acknowledgedAt: true,
  acknowledgedById: true,
  resolvedAt: true,
  device: { select: { id: true, name: true, hostname: true, labId: true } },
} as const;

type AlertRow = {
  id: string;
  deviceId: string;
  kind: string;
  state: string;
  message: string;
  value: number | null;
  firedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedById: string | null;
  resolvedAt: Date | null;
  device: { id: string; name: string; hostname: string; labId: string | null };
};

function toSummary(row: AlertRow, names: Map<string, string>): AlertSummary {
  return {
    id: row.id,
    deviceId: row.deviceId,
    deviceName: row.device.name,
    labId: row.device.labId,
    kind: row.kind as AlertKind,
    state: row.state as AlertState,
    message: row.message,
    value: row.value,
    firedAt: row.firedAt.getTime(),
    acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
    acknowledgedBy: row.acknowledgedById ? (names.get(row.acknowledgedById) ?? "a deleted user") : null,
    resolvedAt: row.resolvedAt?.getTime() ?? null,
  };
}

async function userNames(tx: Tx | Db["prisma"], rows: AlertRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.acknowledgedById).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const users = await tx.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } });
  return new Map(users.map((u) => [u.id, u.name || u.email]));
}

/** Records the change's webhook deliveries in the same transaction, then pushes it to the dashboards. */
async function commit(
  deps: AlertDeps,
  event: WebhookEvent,
  change: (tx: Tx) => Promise<AlertRow | null>,
): Promise<AlertSummary | null> {
  const summary = await deps.db.prisma.$transaction(async (tx) => {
    const row = await change(tx);
    if (!row) return null;
    const s = toSummary(row, await userNames(tx, [row]));
    await enqueueAlertEvent(tx, event, s, row.device);
    return s;
  });
  if (summary) deps.hub.publishAlert(summary);
  return summary;
}

export interface FireInput {
  deviceId: string;
  kind: AlertKind;
  message: string;
  value: number | null;
  now: number;
}

/** Opens an alert unless one of that kind is already open on the device (then null: one open alert per pair). */
export async function fireAlert(deps: AlertDeps, input: FireInput): Promise<AlertSummary | null> {
  return commit(deps, "alert.fired", async (tx) => {
    // Serialises concurrent raisers of the same (device, kind): the check and the insert see one another.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alert:${input.deviceId}:${input.kind}`}))`;
    const open = await tx.alert.findFirst({
      where: { deviceId: input.deviceId, kind: input.kind, state: { in: OPEN_STATES } },
      select: { id: true },
    });
    if (open) return null;
    return tx.alert.create({
      data: {
        deviceId: input.deviceId,
        kind: input.kind,
        state: "firing",
        message: input.message,
        value: input.value,
        firedAt: new Date(input.now),
      },
      select: alertSelect,
    });
  });
}

/** The condition cleared: an open alert (firing or acknowledged) becomes resolved. Null when it was not open. */
export async function resolveAlert(deps: AlertDeps, alertId: string, now: number): Promise<AlertSummary | null> {
  return commit(deps, "alert.resolved", async (tx) => {
    const updated = await tx.alert.updateMany({
      where: { id: alertId, state: { in: OPEN_STATES } },
      data: { state: "resolved", resolvedAt: new Date(now) },
    });
    if (updated.count === 0) return null;
    return tx.alert.findUniqueOrThrow({ where: { id: alertId }, select: alertSelect });
  });
}

export async function acknowledgeAlert(
  deps: AlertDeps,
  alertId: string,
  userId: string,
  now = Date.now(),
): Promise<AlertSummary> {
  const changed = await commit(deps, "alert.acknowledged", async (tx) => {
    const updated = await tx.alert.updateMany({
      where: { id: alertId, state: "firing" },
      data: { state: "acknowledged", acknowledgedAt: new Date(now), acknowledgedById: userId },
    });
    if (updated.count === 0) return null;
    return tx.alert.findUniqueOrThrow({ where: { id: alertId }, select: alertSelect });
  });
  if (changed) return changed;
  const current = await getAlert(deps.db, alertId);
  if (current.state === "resolved") throw new AppError("CONFLICT", "That alert is already resolved.");
  return current; // already acknowledged: acknowledging twice is harmless
}

export async function getAlert(db: Db, alertId: string, scope: Prisma.DeviceWhereInput = {}): Promise<AlertSummary> {
  const row = await db.prisma.alert.findFirst({ where: { id: alertId, device: scope }, select: alertSelect });
  if (!row) throw new AppError("NOT_FOUND", "That alert does not exist.");
  return toSummary(row, await userNames(db.prisma, [row]));
}

/**
 * For the runs feature: a workload failed on a device. Fires a `workload_failed` alert unless the rule is
 * off or one is already open on that device (a person acknowledges, then resolves it with `resolveAlert`).
 */
export async function raiseWorkloadFailed(
  deps: AlertDeps,
  deviceId: string,
  message: string,
  now = Date.now(),
): Promise<AlertSummary | null> {
  const device = await deps.db.prisma.device.findUnique({ where: { id: deviceId }, select: { labId: true } });
  if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
  const rule = (await loadRuleBook(deps.db)).resolve(device.labId, "workload_failed");
  if (!rule.enabled) return null;
  return fireAlert(deps, { deviceId, kind: "workload_failed", message: message.slice(0, 500), value: null, now });
}

export const alertListInput = z.object({
  /** open: firing and acknowledged. */
  state: z.enum(["open", "firing", "acknowledged", "resolved", "all"]).default("all"),
  deviceId: z.string().min(1).max(64).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

/** Open alerts first (newest first), then the history. */
export async function listAlerts(
  db: Db,
  input: z.input<typeof alertListInput>,
  scope: Prisma.DeviceWhereInput = {},
): Promise<AlertSummary[]> {
  const { state, deviceId, limit } = alertListInput.parse(input);
  const states: AlertState[] =
    state === "all" ? ["firing", "acknowledged", "resolved"] : state === "open" ? OPEN_STATES : [state];
  const where = (s: AlertState[]): Prisma.AlertWhereInput => ({
    state: { in: s },
    ...(deviceId ? { deviceId } : {}),
    device: scope,
  });
  const openStates = states.filter((s) => s !== "resolved");
  const open = openStates.length
    ? await db.prisma.alert.findMany({
        where: where(openStates),
        orderBy: { firedAt: "desc" },
        take: limit,
        select: alertSelect,
      })
    : [];
  const rest =
    states.includes("resolved") && open.length < limit
      ? await db.prisma.alert.findMany({
          where: where(["resolved"]),
          orderBy: { firedAt: "desc" },
          take: limit - open.length,
          select: alertSelect,
        })
      : [];
  const rows = [...open, ...rest];
  const names = await userNames(db.prisma, rows);
  return rows.map((r) => toSummary(r, names));
}

export async function countAlerts(
  db: Db,
  scope: Prisma.DeviceWhereInput = {},
): Promise<{ firing: number; acknowledged: number }> {
  const groups = await db.prisma.alert.groupBy({
    by: ["state"],
    where: { state: { in: OPEN_STATES }, device: scope },
    _count: true,
  });
  const of = (s: string) => groups.find((g) => g.state === s)?._count ?? 0;
  return { firing: of("firing"), acknowledged: of("acknowledged") };
}

/** The open alerts, for the evaluator: (deviceId, kind) → alert id. */
export async function openAlertIndex(db: Db): Promise<Map<string, string>> {
  const rows = await db.prisma.alert.findMany({
    where: { state: { in: OPEN_STATES } },
    select: { id: true, deviceId: true, kind: true },
  });
  return new Map(rows.map((r) => [`${r.deviceId}|${r.kind}`, r.id]));
}
