-- Telemetry is written 5,000 times a second at the target fleet size; each part below cost as much per row as
-- the row itself (measured in packages/db/src/telemetry.ts's notes): the foreign key's per-row check, the sample's
-- conversion to jsonb, and a b-tree on ts that every insert extends.

-- DropForeignKey
ALTER TABLE "telemetry" DROP CONSTRAINT "telemetry_device_id_fkey";

-- DropForeignKey
ALTER TABLE "telemetry_rollup" DROP CONSTRAINT "telemetry_rollup_device_id_fkey";

-- DropIndex
DROP INDEX "telemetry_ts_idx";

-- AlterTable
ALTER TABLE "telemetry" ADD COLUMN     "power_w" REAL,
ADD COLUMN     "throttling" BOOLEAN,
ADD COLUMN     "weight" INTEGER NOT NULL DEFAULT 1,
ALTER COLUMN "sample" SET DATA TYPE JSON;

-- The roll-ups read these from the columns from now on.
UPDATE "telemetry" SET
  "weight" = coalesce(("sample"->>'aggregatedCount')::int, 1),
  "power_w" = ("sample"->>'powerW')::real,
  "throttling" = ("sample"->>'throttling')::boolean
WHERE "sample"->>'aggregatedCount' IS NOT NULL OR "sample"->>'powerW' IS NOT NULL OR "sample"->>'throttling' IS NOT NULL;

-- CreateIndex
CREATE INDEX "telemetry_ts_idx" ON "telemetry" USING BRIN ("ts");

-- What the foreign keys' ON DELETE CASCADE did: a deleted device takes its samples and buckets with it.
CREATE FUNCTION "labfleet_delete_device_telemetry"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "telemetry" WHERE "device_id" = OLD."id";
  DELETE FROM "telemetry_rollup" WHERE "device_id" = OLD."id";
  RETURN OLD;
END
$$;

CREATE TRIGGER "device_delete_telemetry" AFTER DELETE ON "device"
  FOR EACH ROW EXECUTE FUNCTION "labfleet_delete_device_telemetry"();

