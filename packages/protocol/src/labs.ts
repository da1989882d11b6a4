import { z } from "zod";
import { idSchema } from "./common.ts";

/** Seat grid bounds: rows are letters A..Z, columns 1..20. */
export const LAB_LIMITS = { maxRows: 26, maxCols: 20, maxTagsPerDevice: 16 } as const;

/** The CPU temperature at which a seat shows as hot, unless the lab sets its own. */
export const DEFAULT_HOT_TEMP_C = 85;

export const labSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  rows: z.number().int().min(1).max(LAB_LIMITS.maxRows),
  cols: z.number().int().min(1).max(LAB_LIMITS.maxCols),
  hotTempC: z.number(),
});
export type Lab = z.infer<typeof labSchema>;

export const seatSchema = z.object({
  id: z.string(),
  /** Row letter and column number, e.g. "B3". */
  label: z.string(),
  /** 0-based grid position. */
  row: z.number().int().min(0),
  col: z.number().int().min(0),
  deviceId: z.string().nullable(),
});
export type Seat = z.infer<typeof seatSchema>;

/** "A1" for row 0, column 0. */
export function seatLabel(row: number, col: number): string {
  return `${String.fromCharCode(65 + row)}${col + 1}`;
}

export const labSubscribeSchema = z.object({ labId: idSchema });
export type LabSubscribe = z.infer<typeof labSubscribeSchema>;

/** Broadcast to a lab's watchers when its layout or its set of devices changed: they ask for a fresh snapshot. */
export interface LabChanged {
  labId: string;
}
