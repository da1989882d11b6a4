export { catalogEntries } from "@labfleet/catalog";
export { type Auth, type AuthOptions, createAuth } from "./auth.ts";
export { type ControlPlane, type ControlPlaneOptions, createControlPlane, type PageHandler } from "./control-plane.ts";
export { AppError, toWireError } from "./errors.ts";
export {
  DEFAULT_RATE_LIMITS,
  memoryStore,
  type RateLimitRules,
  RateLimits,
  rateLimitStore,
  redisStore,
} from "./http/rate-limit.ts";
export { createLogger, type Logger } from "./logger.ts";
export type { TelemetryIntervals } from "./realtime/hub.ts";
export { ROLES, type Role, roleSchema } from "./roles.ts";
export { type AppRouter, appRouter, createCaller } from "./routers/root.ts";
export type { Db } from "./services/deps.ts";
export { createEnrollmentToken } from "./services/enrollment-token.ts";
export { type CatalogSyncResult, syncCatalog } from "./services/models/catalog-sync.ts";
export { countAdmins, createUser } from "./services/users.ts";
export type { Context } from "./trpc/init.ts";
