import { newSecret, sha256Hex } from "../crypto.ts";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

/**
 * A credential row with this in place of a hash stands for "rotate this device's secret when it is next
 * connected". The server never keeps a secret, only its hash, so the new secret of an offline device cannot be
 * made ahead of time: it is made when the device is there to receive it. This value is not 64 hex digits, so
 * no secret ever matches it and it keys no run signature.
 */
export const ROTATION_REQUESTED = "rotation-requested";

const HASH = /^[0-9a-f]{64}$/;

/**
 * Asks for a new secret for a device. Until the device holds it (it acked, or connected with it) every secret
 * it had stays valid. Returns whether a request was already waiting.
 */
export async function requestCredentialRotation(db: Db, deviceId: string): Promise<{ alreadyRequested: boolean }> {
  return db.prisma.$transaction(async (tx) => {
    // The row lock serialises two staff members rotating the same device at once: one marker, never two.
    const rows = await tx.$queryRaw<{ revokedAt: Date | null }[]>`
      SELECT "revokedAt" FROM device WHERE id = ${deviceId} FOR UPDATE`;
    const device = rows[0];
    if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
    if (device.revokedAt) throw new AppError("CONFLICT", "This device is revoked: enroll it again instead.");
    const waiting = await tx.deviceCredential.findFirst({
      where: { deviceId, revokedAt: null, secretHash: ROTATION_REQUESTED },
      select: { id: true },
    });
    if (waiting) return { alreadyRequested: true };
    await tx.deviceCredential.create({ data: { deviceId, secretHash: ROTATION_REQUESTED }, select: { id: true } });
    return { alreadyRequested: false };
  });
}

/** Whether a rotation waits for this device. */
export async function rotationRequested(db: Db, deviceId: string): Promise<boolean> {
  // Asked on every connection: a plain statement (see authenticateDevice).
  const { rows } = await db.pool.query<{ requested: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM "device_credential"
       WHERE "deviceId" = $1 AND "revokedAt" IS NULL AND "secretHash" = $2) AS "requested"`,
    [deviceId, ROTATION_REQUESTED],
  );
  return rows[0]?.requested === true;
}

/**
 * Makes the new secret of a requested rotation and stores its hash beside the old one (both valid: the device
 * may crash after writing the new one and before saying so). Null when no rotation waits.
 */
export async function issueRotatedCredential(
  db: Db,
  deviceId: string,
): Promise<{ credentialId: string; secret: string } | null> {
  if (!(await rotationRequested(db, deviceId))) return null;
  const secret = newSecret("lfd");
  const row = await db.prisma.deviceCredential.create({
    data: { deviceId, secretHash: sha256Hex(secret) },
    select: { id: true },
  });
  return { credentialId: row.id, secret };
}

/** The agent said it could not store the new secret: it still uses the old one, and the new one goes. */
export async function dropIssuedCredential(db: Db, deviceId: string, credentialId: string): Promise<void> {
  await db.prisma.deviceCredential.updateMany({
    where: { id: credentialId, deviceId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

/**
 * The device proved it holds `credentialId` (it acked the rotation, or connected with it): every other secret it
 * had is revoked and the rotation request is done. A request made after that credential was issued stays.
 * Returns whether anything was revoked.
 */
export async function confirmCredential(db: Db, deviceId: string, credentialId: string): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const held = await tx.deviceCredential.findFirst({
      where: { id: credentialId, deviceId, revokedAt: null },
      select: { createdAt: true },
    });
    if (!held) return false;
    const res = await tx.deviceCredential.updateMany({
      where: {
        deviceId,
        revokedAt: null,
        id: { not: credentialId },
        NOT: { secretHash: ROTATION_REQUESTED, createdAt: { gt: held.createdAt } },
      },
      data: { revokedAt: new Date() },
    });
    return res.count > 0;
  });
}

/**
 * Secret hashes whose signature on a result of a run created at `runCreatedAt` is genuine: the device's live
 * ones, and ones retired by a rotation after the run was created. A result finished before a rotation can sit
 * in the agent's offline buffer and arrive signed with the old key; it came over a connection made with the new
 * secret, so the old key is still the device's own. A key retired before the run existed never signs it.
 */
export async function signingHashesFor(db: Db, deviceId: string, runCreatedAt: Date): Promise<string[]> {
  const rows = await db.prisma.deviceCredential.findMany({
    where: { deviceId, OR: [{ revokedAt: null }, { revokedAt: { gt: runCreatedAt } }] },
    select: { secretHash: true },
  });
  return rows.map((r) => r.secretHash).filter((h) => HASH.test(h));
}
