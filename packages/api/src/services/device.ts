import type { Prisma } from "@labfleet/db";
import {
  type AgentHandshake,
  canonicalJson,
  type EnrollRequest,
  type EnrollResponse,
  type Inventory,
  inventorySchema,
  PROTOCOL_VERSION,
} from "@labfleet/protocol";
import { z } from "zod";
import { newSecret, secretMatches, sha256Hex } from "../crypto.ts";
import { AppError } from "../errors.ts";
import { ensureSeatCodes } from "./classroom/seat-codes.ts";
import type { Db } from "./deps.ts";
import { confirmCredential, ROTATION_REQUESTED } from "./device-credential.ts";
import { consumeEnrollmentToken } from "./enrollment-token.ts";

export const deviceNameSchema = z.string().trim().min(1, "A device needs a name").max(80);

export function assertProtocolVersion(theirs: number): void {
  if (theirs !== PROTOCOL_VERSION) {
    throw new AppError(
      "PROTOCOL_MISMATCH",
      `This server speaks protocol version ${PROTOCOL_VERSION}; the agent speaks version ${theirs}. Install the agent that matches the server.`,
    );
  }
}

/** Exchanges an enrollment token for a device identity. The token use, the device and its credential are one transaction. */
export async function enrollDevice(db: Db, req: EnrollRequest): Promise<EnrollResponse> {
  assertProtocolVersion(req.protocolVersion);
  const deviceSecret = newSecret("lfd");
  const device = await db.prisma.$transaction(async (tx) => {
    const token = await consumeEnrollmentToken(tx, req.token);
    return tx.device.create({
      data: {
        name: req.hostname,
        hostname: req.hostname,
        agentVersion: req.agentVersion,
        labId: token.labId,
        enrollmentTokenId: token.id,
        credentials: { create: { secretHash: sha256Hex(deviceSecret) } },
      },
      select: { id: true, name: true },
    });
  });
  db.log.info({ deviceId: device.id, hostname: req.hostname }, "device enrolled");
  // Its seat code now, so that the labels can be printed before anyone opens the room map.
  await ensureSeatCodes(db, [device.id]);
  return { deviceId: device.id, deviceSecret, name: device.name };
}

/** What a handshake learns of its device: enough to serve the connection without reading the device again. */
export interface AuthenticatedDevice {
  id: string;
  name: string;
  inventoryHash: string | null;
  labId: string | null;
}

// Every connection runs this, so it is one plain statement: through Prisma it cost ~1 ms of the event loop a query
// (its query compiler), ten times pg's own, which a reconnecting fleet of thousands pays at once.
// Timestamps leave PostgreSQL as epoch ms: the columns are timestamps without zone holding UTC.
const HANDSHAKE_SQL = `
SELECT d."id", d."name", d."inventoryHash", d."labId", d."revokedAt" IS NOT NULL AS "deviceRevoked",
  c."id" AS "credentialId", c."secretHash", c."revokedAt" IS NOT NULL AS "credentialRevoked",
  (extract(epoch FROM c."createdAt") * 1000)::float8 AS "createdMs"
FROM "device" d LEFT JOIN "device_credential" c ON c."deviceId" = d."id"
WHERE d."id" = $1`;

interface HandshakeRow {
  id: string;
  name: string;
  inventoryHash: string | null;
  labId: string | null;
  deviceRevoked: boolean;
  credentialId: string | null;
  secretHash: string | null;
  credentialRevoked: boolean;
  createdMs: number | null;
}

/** Checks a device's handshake. The same message for an unknown device and a wrong secret: neither is revealed. */
export async function authenticateDevice(db: Db, hs: AgentHandshake): Promise<AuthenticatedDevice> {
  assertProtocolVersion(hs.protocolVersion);
  const { rows } = await db.pool.query<HandshakeRow>(HANDSHAKE_SQL, [hs.deviceId]);
  const device = rows[0];
  const bad = new AppError("BAD_CREDENTIAL", "The device id or secret is not valid. Enroll this device again.");
  if (!device) throw bad;
  const credentials = rows.flatMap((r) =>
    r.credentialId && r.secretHash
      ? [{ id: r.credentialId, secretHash: r.secretHash, revoked: r.credentialRevoked, createdMs: r.createdMs ?? 0 }]
      : [],
  );
  const match = credentials.find((c) => c.secretHash !== ROTATION_REQUESTED && secretMatches(hs.secret, c.secretHash));
  if (!match) throw bad;
  if (device.deviceRevoked) {
    throw new AppError("DEVICE_REVOKED", "This device was revoked in the dashboard. Enroll it again to bring it back.");
  }
  // A secret retired by a rotation is simply wrong now; one retired with the device says so above.
  if (match.revoked) throw bad;
  // Connecting with a secret newer than another live one proves the device stored it: a rotation whose ack was
  // lost (the agent or the server died in between) completes here, and the old secret stops working.
  const older = credentials.some(
    (c) => c.id !== match.id && !c.revoked && c.secretHash !== ROTATION_REQUESTED && c.createdMs < match.createdMs,
  );
  if (older) await confirmCredential(db, device.id, match.id);
  return { id: device.id, name: device.name, inventoryHash: device.inventoryHash, labId: device.labId };
}

/**
 * Stores an inventory when it differs from the last one. Returns whether it changed. Plain SQL, as the handshake:
 * every first connection of a device sends one. `updatedAt` is what Prisma's @updatedAt would write (UTC).
 */
export async function recordInventory(db: Db, deviceId: string, inventory: Inventory): Promise<boolean> {
  const hash = sha256Hex(canonicalJson(inventory));
  const { rowCount } = await db.pool.query(
    `UPDATE "device" SET "inventory" = $2::jsonb, "inventoryHash" = $3, "hostname" = $4, "agentVersion" = $5,
       "simulated" = $6, "updatedAt" = now() AT TIME ZONE 'UTC'
     WHERE "id" = $1 AND "inventoryHash" IS DISTINCT FROM $3`,
    [deviceId, JSON.stringify(inventory), hash, inventory.hostname, inventory.agent.version, inventory.simulated],
  );
  return (rowCount ?? 0) > 0;
}

export async function markSeen(db: Db, deviceId: string, at = new Date()): Promise<void> {
  await db.prisma.device.update({ where: { id: deviceId }, data: { lastSeenAt: at }, select: { id: true } });
}

/**
 * Sets lastSeenAt of many devices in one statement. Never moves it back: a write that lands after a newer one
 * (the disconnect's) leaves the newer one. Returns how many rows changed.
 */
export async function markSeenMany(db: Db, deviceIds: readonly string[], at: Date): Promise<number> {
  if (deviceIds.length === 0) return 0;
  const { count } = await db.prisma.device.updateMany({
    where: { id: { in: [...deviceIds] }, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: at } }] },
    data: { lastSeenAt: at },
  });
  return count;
}

export interface SeenWriterOptions {
  /** A device's lastSeenAt is written at most this often: it is a coarse "when did we last hear from it". */
  everyMs?: number;
  /** How long a due device waits for the statement that writes it with every other one due. */
  flushMs?: number;
}

/**
 * Writes lastSeenAt for the whole fleet off the telemetry path: devices become due at most once every `everyMs`,
 * and all due devices go in one statement about once a `flushMs`. Idle (nothing due), it holds no timer.
 */
export class SeenWriter {
  private readonly writtenAt = new Map<string, number>();
  private due = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly everyMs: number;
  private readonly flushMs: number;

  constructor(
    private readonly db: Db,
    options: SeenWriterOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 5_000;
    this.flushMs = options.flushMs ?? 1_000;
  }

  /** The device was heard from at `now`. True when that makes a new lastSeenAt (to show right away). */
  note(deviceId: string, now: number): boolean {
    if (now - (this.writtenAt.get(deviceId) ?? Number.NEGATIVE_INFINITY) < this.everyMs) return false;
    this.writtenAt.set(deviceId, now);
    this.due.set(deviceId, now);
    this.arm();
    return true;
  }

  /** The device went away (its disconnect writes its own lastSeenAt): its next report is due at once. */
  forget(deviceId: string): void {
    this.writtenAt.delete(deviceId);
    this.due.delete(deviceId);
  }

  /** Writes every due device now; resolves when the statement (and any already in flight) is done. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    if (this.due.size === 0) return;
    const due = this.due;
    this.due = new Map();
    // The oldest report of the batch: lastSeenAt never claims a contact later than the one that happened.
    let at = Number.POSITIVE_INFINITY;
    for (const t of due.values()) at = Math.min(at, t);
    this.flushing = markSeenMany(this.db, [...due.keys()], new Date(at))
      .then(() => undefined)
      .catch((err: unknown) => this.db.log.warn({ err, devices: due.size }, "lastSeenAt not written"))
      .finally(() => {
        this.flushing = null;
        if (this.due.size > 0) this.arm();
      });
    await this.flushing;
  }

  private arm(): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }
}

export const deviceRowSelect = {
  id: true,
  name: true,
  hostname: true,
  labId: true,
  simulated: true,
  lastSeenAt: true,
  revokedAt: true,
} as const;

export type DeviceRow = {
  id: string;
  name: string;
  hostname: string;
  labId: string | null;
  simulated: boolean;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
};

/** Every device, or those `where` admits (a caller's scope, fleet-scope.ts). */
export async function listDeviceRows(db: Db, where: Prisma.DeviceWhereInput = {}): Promise<DeviceRow[]> {
  return db.prisma.device.findMany({
    where,
    select: deviceRowSelect,
    orderBy: [{ name: "asc" }, { createdAt: "asc" }],
  });
}

/** One device's row. Plain SQL, as the handshake: the first report of every connection reads it. */
export async function getDeviceRow(db: Db, id: string): Promise<DeviceRow | null> {
  const { rows } = await db.pool.query<{
    id: string;
    name: string;
    hostname: string;
    labId: string | null;
    simulated: boolean;
    lastSeenMs: number | null;
    revokedMs: number | null;
  }>(
    `SELECT "id", "name", "hostname", "labId", "simulated",
       (extract(epoch FROM "lastSeenAt") * 1000)::float8 AS "lastSeenMs",
       (extract(epoch FROM "revokedAt") * 1000)::float8 AS "revokedMs"
     FROM "device" WHERE "id" = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    name: r.name,
    hostname: r.hostname,
    labId: r.labId,
    simulated: r.simulated,
    lastSeenAt: r.lastSeenMs === null ? null : new Date(r.lastSeenMs),
    revokedAt: r.revokedMs === null ? null : new Date(r.revokedMs),
  };
}

export async function getDeviceDetail(db: Db, id: string) {
  const d = await db.prisma.device.findUnique({
    where: { id },
    select: {
      ...deviceRowSelect,
      inventory: true,
      agentVersion: true,
      createdAt: true,
      lab: { select: { name: true } },
    },
  });
  if (!d) throw new AppError("NOT_FOUND", "That device does not exist.");
  const inventory = d.inventory === null ? null : inventorySchema.safeParse(d.inventory);
  return {
    row: d as DeviceRow,
    inventory: inventory?.success ? inventory.data : null,
    agentVersion: d.agentVersion,
    enrolledAt: d.createdAt,
    labName: d.lab?.name ?? null,
  };
}

export async function renameDevice(db: Db, id: string, name: string): Promise<DeviceRow> {
  const exists = await getDeviceRow(db, id);
  if (!exists) throw new AppError("NOT_FOUND", "That device does not exist.");
  return db.prisma.device.update({
    where: { id },
    data: { name: deviceNameSchema.parse(name) },
    select: deviceRowSelect,
  });
}

/** Revokes the device and every credential it holds; the caller disconnects its live socket. */
export async function revokeDevice(db: Db, id: string): Promise<DeviceRow> {
  const now = new Date();
  return db.prisma.$transaction(async (tx) => {
    const d = await tx.device.findUnique({ where: { id }, select: { id: true, revokedAt: true } });
    if (!d) throw new AppError("NOT_FOUND", "That device does not exist.");
    await tx.deviceCredential.updateMany({ where: { deviceId: id, revokedAt: null }, data: { revokedAt: now } });
    return tx.device.update({
      where: { id },
      data: { revokedAt: d.revokedAt ?? now },
      select: deviceRowSelect,
    });
  });
}
