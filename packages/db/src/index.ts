// @labfleet/db: the Prisma client, migrations applied at start, the embedded PostgreSQL and raw telemetry SQL.
// Test helpers live in "@labfleet/db/test-db", the schema drift check in "@labfleet/db/drift".
export * from "./client.ts";
export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from "./embedded.ts";
export {
  type ApplyOptions,
  type ApplyResult,
  applyMigrations,
  checksumOf,
  findMigrationsDir,
  MigrationError,
  type MigrationFile,
  PRISMA_MIGRATE_LOCK_KEY,
  readMigrations,
} from "./migrate.ts";
export {
  type DeviceSamples,
  insertTelemetry,
  insertTelemetryMany,
  latestTelemetry,
  type RecentOptions,
  recentTelemetry,
  type SqlRunner,
  UnknownDeviceError,
} from "./telemetry.ts";
