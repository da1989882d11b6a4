import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

export const placeDeviceInput = z.object({
  labId: z.string().min(1).max(64),
  /** e.g. "B3"; case-insensitive. */
  seatLabel: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]([1-9]|1[0-9]|20)$/, "A seat is a row letter and a column number, e.g. B3"),
  deviceId: z.string().min(1).max(64),
});
export type PlaceDeviceInput = z.input<typeof placeDeviceInput>;

/** Which labs a placement touched, so the caller can tell both rooms (a move between labs changes two maps). */
export interface PlacementChange {
  deviceId: string;
  seatLabel: string | null;
  labId: string | null;
  previousLabId: string | null;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/**
 * Puts a device on a seat, moving it from the seat it had (in any lab); the device joins the seat's lab.
 * A seat that already holds another device is refused with CONFLICT rather than swapped: a swap would move a
 * second machine that the person did not point at.
 */
export async function placeDevice(db: Db, input: PlaceDeviceInput): Promise<PlacementChange> {
  const data = placeDeviceInput.parse(input);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const seat = await tx.seat.findUnique({
        where: { labId_label: { labId: data.labId, label: data.seatLabel } },
        select: { id: true, deviceId: true, device: { select: { name: true } } },
      });
      if (!seat) throw new AppError("NOT_FOUND", `Seat ${data.seatLabel} does not exist in this lab.`);
      const device = await tx.device.findUnique({
        where: { id: data.deviceId },
        select: { id: true, labId: true, revokedAt: true },
      });
      if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
      if (device.revokedAt) throw new AppError("CONFLICT", "A revoked device cannot be placed. Enroll it again first.");
      const change = { deviceId: device.id, seatLabel: data.seatLabel, labId: data.labId, previousLabId: device.labId };
      if (seat.deviceId === device.id) return change;
      if (seat.deviceId) {
        throw new AppError(
          "CONFLICT",
          `Seat ${data.seatLabel} is taken by ${seat.device?.name ?? "another device"}. Move or unplace it first.`,
        );
      }
      await tx.seat.updateMany({ where: { deviceId: device.id }, data: { deviceId: null } });
      await tx.seat.update({ where: { id: seat.id }, data: { deviceId: device.id } });
      await tx.device.update({ where: { id: device.id }, data: { labId: data.labId }, select: { id: true } });
      return change;
    });
  } catch (e) {
    // Two people placing on the same seat at once: the unique index on seat.deviceId, or the seat row, decides.
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "That seat or device changed meanwhile. Try again.");
    throw e;
  }
}

/** Takes a device off its seat; it stays in its lab, listed beside the map as not placed. */
export async function unplaceDevice(db: Db, deviceId: string): Promise<PlacementChange> {
  const device = await db.prisma.device.findUnique({ where: { id: deviceId }, select: { id: true, labId: true } });
  if (!device) throw new AppError("NOT_FOUND", "That device does not exist.");
  await db.prisma.seat.updateMany({ where: { deviceId }, data: { deviceId: null } });
  return { deviceId, seatLabel: null, labId: device.labId, previousLabId: device.labId };
}
