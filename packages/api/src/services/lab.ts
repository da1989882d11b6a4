import type { Prisma } from "@labfleet/db";
import { DEFAULT_HOT_TEMP_C, LAB_LIMITS, type Lab, type Seat, seatLabel } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";
import { type DeviceRow, deviceRowSelect } from "./device.ts";

export const labNameSchema = z.string().trim().min(1, "A lab needs a name").max(80);
export const labRowsSchema = z.number().int().min(1).max(LAB_LIMITS.maxRows);
export const labColsSchema = z.number().int().min(1).max(LAB_LIMITS.maxCols);
export const hotTempSchema = z.number().min(30).max(120);

export const createLabInput = z.object({
  name: labNameSchema,
  description: z.string().trim().max(500).nullish(),
  rows: labRowsSchema,
  cols: labColsSchema,
  hotTempC: hotTempSchema.default(DEFAULT_HOT_TEMP_C),
});
export type CreateLabInput = z.input<typeof createLabInput>;

export const updateLabInput = z.object({
  id: z.string().min(1).max(64),
  name: labNameSchema.optional(),
  description: z.string().trim().max(500).nullish(),
  rows: labRowsSchema.optional(),
  cols: labColsSchema.optional(),
  hotTempC: hotTempSchema.optional(),
});
export type UpdateLabInput = z.input<typeof updateLabInput>;

const labSelect = { id: true, name: true, description: true, rows: true, cols: true, hotTempC: true } as const;
const seatSelect = { id: true, label: true, row: true, col: true, deviceId: true } as const;

export interface LabListItem extends Lab {
  deviceCount: number;
  placedCount: number;
}

function seatGrid(labId: string, rows: number, cols: number) {
  const seats: Array<{ labId: string; label: string; row: number; col: number }> = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) seats.push({ labId, label: seatLabel(row, col), row, col });
  }
  return seats;
}

/** Prisma's unique violation, which a concurrent create with the same name produces. */
function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/** Every lab, or those `where` admits (a caller's scope, fleet-scope.ts). */
export async function listLabs(db: Db, where: Prisma.LabWhereInput = {}): Promise<LabListItem[]> {
  const labs = await db.prisma.lab.findMany({
    where,
    select: { ...labSelect, _count: { select: { devices: true } } },
    orderBy: { name: "asc" },
  });
  const placed = await db.prisma.seat.groupBy({
    by: ["labId"],
    where: { deviceId: { not: null }, labId: { in: labs.map((l) => l.id) } },
    _count: true,
  });
  const placedBy = new Map(placed.map((p) => [p.labId, p._count]));
  return labs.map(({ _count, ...lab }) => ({
    ...lab,
    deviceCount: _count.devices,
    placedCount: placedBy.get(lab.id) ?? 0,
  }));
}

/** Labs by name, for a picker: every lab, or those `where` admits. */
export async function listLabChoices(
  db: Db,
  where: Prisma.LabWhereInput = {},
): Promise<{ id: string; name: string }[]> {
  return db.prisma.lab.findMany({ where, select: { id: true, name: true }, orderBy: { name: "asc" } });
}

export async function getLab(db: Db, id: string): Promise<Lab> {
  const lab = await db.prisma.lab.findUnique({ where: { id }, select: labSelect });
  if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  return lab;
}

/** Creates the lab and its whole seat grid in one transaction. */
export async function createLab(db: Db, input: CreateLabInput, createdById: string | null = null): Promise<Lab> {
  const data = createLabInput.parse(input);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const lab = await tx.lab.create({
        data: {
          name: data.name,
          description: data.description ?? null,
          rows: data.rows,
          cols: data.cols,
          hotTempC: data.hotTempC,
          createdById,
        },
        select: labSelect,
      });
      await tx.seat.createMany({ data: seatGrid(lab.id, lab.rows, lab.cols) });
      return lab;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `A lab named "${data.name}" already exists.`);
    throw e;
  }
}

/**
 * Renames, re-thresholds or resizes a lab. Shrinking removes the seats outside the new grid, but only when they
 * are empty: a seat that holds a device is refused (move the device first), so nobody loses a placement silently.
 */
export async function updateLab(db: Db, input: UpdateLabInput): Promise<Lab> {
  const data = updateLabInput.parse(input);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const current = await tx.lab.findUnique({ where: { id: data.id }, select: labSelect });
      if (!current) throw new AppError("NOT_FOUND", "That lab does not exist.");
      const rows = data.rows ?? current.rows;
      const cols = data.cols ?? current.cols;
      if (rows !== current.rows || cols !== current.cols) {
        const outside = { labId: data.id, OR: [{ row: { gte: rows } }, { col: { gte: cols } }] };
        const occupied = await tx.seat.findMany({
          where: { ...outside, deviceId: { not: null } },
          select: { label: true },
          orderBy: [{ row: "asc" }, { col: "asc" }],
        });
        if (occupied.length > 0) {
          const labels = occupied.map((s) => s.label).join(", ");
          throw new AppError("CONFLICT", `Seats ${labels} still hold devices. Move or unplace them first.`);
        }
        await tx.seat.deleteMany({ where: outside });
        await tx.seat.createMany({ data: seatGrid(data.id, rows, cols), skipDuplicates: true });
      }
      return tx.lab.update({
        where: { id: data.id },
        data: {
          name: data.name,
          description: data.description === undefined ? undefined : (data.description ?? null),
          rows,
          cols,
          hotTempC: data.hotTempC,
        },
        select: labSelect,
      });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `A lab named "${data.name}" already exists.`);
    throw e;
  }
}

/** Deletes the lab and its seats; its devices stay enrolled, with no lab. Returns the ids of those devices. */
export async function deleteLab(db: Db, id: string): Promise<string[]> {
  return db.prisma.$transaction(async (tx) => {
    const lab = await tx.lab.findUnique({ where: { id }, select: { id: true, devices: { select: { id: true } } } });
    if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
    await tx.lab.delete({ where: { id } });
    return lab.devices.map((d) => d.id);
  });
}

export interface LabLayout {
  lab: Lab;
  seats: Seat[];
  /** The lab's devices, placed or not. */
  devices: DeviceRow[];
}

export async function getLabLayout(db: Db, id: string): Promise<LabLayout> {
  const lab = await db.prisma.lab.findUnique({
    where: { id },
    select: {
      ...labSelect,
      seats: { select: seatSelect, orderBy: [{ row: "asc" }, { col: "asc" }] },
      devices: { select: deviceRowSelect, orderBy: [{ name: "asc" }, { createdAt: "asc" }] },
    },
  });
  if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  const { seats, devices, ...info } = lab;
  return { lab: info, seats, devices };
}
