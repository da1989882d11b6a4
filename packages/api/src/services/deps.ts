import type { PrismaClient } from "@labfleet/db";
import type { Pool } from "pg";
import type { Logger } from "../logger.ts";

/** What every service needs: Prisma for the model, a pg pool for the raw SQL paths, a logger. */
export interface Db {
  prisma: PrismaClient;
  pool: Pool;
  log: Logger;
}
