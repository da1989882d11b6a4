// Seat codes: the short code on each machine's label that a student types to check in to that seat. One per device,
// unique across the whole installation, given out lazily the first time a lab's map or labels are read.
import { randomInt } from "node:crypto";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";

/** Upper-case letters and digits without look-alikes (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, U/V): read off a label. */
export const SEAT_CODE_ALPHABET = "ACEFGHJKMNPRTWXY34679";
export const SEAT_CODE_LENGTH = 5;

/** What a student types: case, spaces and dashes do not matter. */
export const seatCodeInput = z
  .string()
  .max(20)
  .transform((s) => s.toUpperCase().replace(/[\s-]/g, ""))
  .pipe(
    z
      .string()
      .min(1, "Enter the code on your seat's label")
      .max(SEAT_CODE_LENGTH + 5),
  );

export function newSeatCode(random: (max: number) => number = randomInt): string {
  let code = "";
  for (let i = 0; i < SEAT_CODE_LENGTH; i++) code += SEAT_CODE_ALPHABET[random(SEAT_CODE_ALPHABET.length)];
  return code;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/** Gives every listed device that has no code one; a collision (21^5 ≈ 4 million codes) just draws again. */
export async function ensureSeatCodes(
  db: Db,
  deviceIds: readonly string[],
  generate: () => string = () => newSeatCode(),
): Promise<void> {
  if (deviceIds.length === 0) return;
  const missing = await db.prisma.device.findMany({
    where: { id: { in: [...deviceIds] }, seatCode: null },
    select: { id: true },
  });
  for (const { id } of missing) {
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        // Conditional: a concurrent reader may have given it a code meanwhile, which then stays.
        await db.prisma.device.updateMany({ where: { id, seatCode: null }, data: { seatCode: generate() } });
        break;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt === 7) throw e;
      }
    }
  }
}

export interface LabSeatCode {
  deviceId: string;
  deviceName: string;
  seatCode: string;
  /** The seat it sits on ("B3"), or null when the device is in the lab but not placed. */
  seatLabel: string | null;
}

/** The seat codes of a lab's devices (given out now where missing), placed seats first in row order. */
export async function labSeatCodes(db: Db, labId: string): Promise<{ labName: string; codes: LabSeatCode[] }> {
  const lab = await db.prisma.lab.findUnique({ where: { id: labId }, select: { id: true, name: true } });
  if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  const devices = await db.prisma.device.findMany({
    where: { labId, revokedAt: null },
    select: { id: true },
  });
  await ensureSeatCodes(
    db,
    devices.map((d) => d.id),
  );
  const rows = await db.prisma.device.findMany({
    where: { labId, revokedAt: null },
    select: { id: true, name: true, seatCode: true, seat: { select: { label: true, row: true, col: true } } },
  });
  const codes = rows
    .sort((a, b) => {
      if (a.seat && b.seat) return a.seat.row - b.seat.row || a.seat.col - b.seat.col;
      if (a.seat || b.seat) return a.seat ? -1 : 1;
      return a.name.localeCompare(b.name);
    })
    .map((d) => ({ deviceId: d.id, deviceName: d.name, seatCode: d.seatCode ?? "", seatLabel: d.seat?.label ?? null }));
  return { labName: lab.name, codes };
}

/** The device with that code; NOT_FOUND otherwise, saying nothing about where codes exist. */
export async function deviceBySeatCode(db: Db, code: string) {
  const device = await db.prisma.device.findUnique({
    where: { seatCode: code },
    select: { id: true, name: true, labId: true, revokedAt: true },
  });
  if (!device || device.revokedAt) throw new AppError("NOT_FOUND", "No seat has that code.");
  return device;
}
