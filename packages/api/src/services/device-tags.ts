import { LAB_LIMITS } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

/** Lowercase words joined by hyphens ("npu", "row-front"), so filters match without case or spacing surprises. */
export const tagSchema = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "A tag is lowercase letters and digits, words joined by hyphens");

/**
 * Adds a tag in one statement, so two concurrent adds cannot exceed the limit. Adding a tag the device has is a
 * no-op. Returns the device's tags.
 */
export async function addDeviceTag(db: Db, deviceId: string, raw: string): Promise<string[]> {
  const tag = tagSchema.parse(raw);
  const { rows } = await db.pool.query<{ tags: string[] }>(
    `UPDATE "device" SET "tags" = CASE WHEN $2 = ANY("tags") THEN "tags" ELSE array_append(coalesce("tags", '{}'), $2) END,
       "updatedAt" = now()
     WHERE "id" = $1 AND ($2 = ANY("tags") OR coalesce(cardinality("tags"), 0) < $3)
     RETURNING "tags"`,
    [deviceId, tag, LAB_LIMITS.maxTagsPerDevice],
  );
  if (rows[0]) return rows[0].tags;
  const exists = await db.prisma.device.findUnique({ where: { id: deviceId }, select: { id: true } });
  if (!exists) throw new AppError("NOT_FOUND", "That device does not exist.");
  throw new AppError("CONFLICT", `A device has at most ${LAB_LIMITS.maxTagsPerDevice} tags. Remove one first.`);
}

export async function removeDeviceTag(db: Db, deviceId: string, raw: string): Promise<string[]> {
  const tag = tagSchema.parse(raw);
  const { rows } = await db.pool.query<{ tags: string[] }>(
    `UPDATE "device" SET "tags" = array_remove(coalesce("tags", '{}'), $2), "updatedAt" = now() WHERE "id" = $1 RETURNING "tags"`,
    [deviceId, tag],
  );
  if (!rows[0]) throw new AppError("NOT_FOUND", "That device does not exist.");
  return rows[0].tags;
}

export interface DeviceAttributes {
  id: string;
  tags: string[];
  hasGpu: boolean;
  hasNpu: boolean;
  labName: string | null;
  seatLabel: string | null;
}

/** What the fleet list filters on beyond the live summary: tags, seat, and hardware from the stored inventory. */
export async function listDeviceAttributes(db: Db, labIds: string[] | null = null): Promise<DeviceAttributes[]> {
  // labIds: only the devices placed in these labs (an instructor's scope); null for every device.
  const { rows } = await db.pool.query<DeviceAttributes>(
    `SELECT d."id", coalesce(d."tags", '{}') AS "tags",
       coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(d."inventory"->'gpus') = 'array' THEN d."inventory"->'gpus' END), 0) > 0 AS "hasGpu",
       coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(d."inventory"->'npus') = 'array' THEN d."inventory"->'npus' END), 0) > 0 AS "hasNpu",
       l."name" AS "labName", s."label" AS "seatLabel"
     FROM "device" d
     LEFT JOIN "lab" l ON l."id" = d."labId"
     LEFT JOIN "seat" s ON s."deviceId" = d."id"
     WHERE $1::text[] IS NULL OR d."labId" = ANY($1::text[])`,
    [labIds],
  );
  return rows;
}
