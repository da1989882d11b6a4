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

/** Checks a device's handshake. The same message for an unknown device and a wrong secret: neither is revealed. */
export async function authenticateDevice(
  db: Db,
  hs: AgentHandshake,
): Promise<{ id: string; name: string; inventoryHash: string | null }> {
  assertProtocolVersion(hs.protocolVersion);
  const device = await db.prisma.device.findUnique({
    where: { id: hs.deviceId },
    select: {
      id: true,
      name: true,
      revokedAt: true,
      inventoryHash: true,
      credentials: { select: { id: true, secretHash: true, revokedAt: true, createdAt: true } },
    },
  });
  const bad = new AppError("BAD_CREDENTIAL", "The device id or secret is not valid. Enroll this device again.");
  if (!device) throw bad;
  const match = device.credentials.find(
    (c) => c.secretHash !== ROTATION_REQUESTED && secretMatches(hs.secret, c.secretHash),
  );
  if (!match) throw bad;
  if (device.revokedAt) {
    throw new AppError("DEVICE_REVOKED", "This device was revoked in the dashboard. Enroll it again to bring it back.");
  }
  // A secret retired by a rotation is simply wrong now; one retired with the device says so above.
  if (match.revokedAt) throw bad;
  // Connecting with a secret newer than another live one proves the device stored it: a rotation whose ack was
  // lost (the agent or the server died in between) completes here, and the old secret stops working.
  const older = device.credentials.some(
    (c) =>
      c.id !== match.id && c.revokedAt === null && c.secretHash !== ROTATION_REQUESTED && c.createdAt < match.createdAt,
  );
  if (older) await confirmCredential(db, device.id, match.id);
  return { id: device.id, name: device.name, inventoryHash: device.inventoryHash };
}

/** Stores an inventory when it differs from the last one. Returns whether it changed. */
export async function recordInventory(db: Db, deviceId: string, inventory: Inventory): Promise<boolean> {
  const hash = sha256Hex(canonicalJson(inventory));
  const updated = await db.prisma.device.updateMany({
    where: { id: deviceId, OR: [{ inventoryHash: null }, { inventoryHash: { not: hash } }] },
    data: {
      inventory,
      inventoryHash: hash,
      hostname: inventory.hostname,
      agentVersion: inventory.agent.version,
      simulated: inventory.simulated,
    },
  });
  return updated.count > 0;
}

export async function markSeen(db: Db, deviceId: string, at = new Date()): Promise<void> {
  await db.prisma.device.update({ where: { id: deviceId }, data: { lastSeenAt: at }, select: { id: true } });
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

export async function listDeviceRows(db: Db): Promise<DeviceRow[]> {
  return db.prisma.device.findMany({ select: deviceRowSelect, orderBy: [{ name: "asc" }, { createdAt: "asc" }] });
}

export async function getDeviceRow(db: Db, id: string): Promise<DeviceRow | null> {
  return db.prisma.device.findUnique({ where: { id }, select: deviceRowSelect });
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
