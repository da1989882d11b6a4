import { z } from "zod";

/** Epoch milliseconds. Bounded so that a garbage number cannot land in the database. */
export const epochMsSchema = z
  .number()
  .int()
  .min(946_684_800_000) // 2000-01-01
  .max(4_102_444_800_000); // 2100-01-01

export const percentSchema = z.number().min(0).max(100);
export const bytesSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const idSchema = z.string().min(1).max(64);
export const shortText = z.string().max(256);
