-- AlterTable
ALTER TABLE "device" ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "lab" ADD COLUMN     "cols" INTEGER NOT NULL DEFAULT 6,
ADD COLUMN     "description" TEXT,
ADD COLUMN     "rows" INTEGER NOT NULL DEFAULT 4;

-- CreateTable
CREATE TABLE "seat" (
    "id" TEXT NOT NULL,
    "labId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "row" INTEGER NOT NULL,
    "col" INTEGER NOT NULL,
    "deviceId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "seat_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "telemetry_rollup" (
    "device_id" TEXT NOT NULL,
    "bucket_s" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "n" INTEGER NOT NULL,
    "cpu_load_avg" REAL NOT NULL,
    "cpu_load_max" REAL NOT NULL,
    "mem_used_avg" DOUBLE PRECISION NOT NULL,
    "mem_total" DOUBLE PRECISION NOT NULL,
    "cpu_temp_avg" REAL,
    "cpu_temp_max" REAL,
    "power_avg_w" REAL,
    "throttled_share" REAL,

    CONSTRAINT "telemetry_rollup_pkey" PRIMARY KEY ("device_id","bucket_s","ts")
);

-- CreateTable
CREATE TABLE "agent_event" (
    "device_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "data" JSONB NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_event_pkey" PRIMARY KEY ("device_id","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "seat_deviceId_key" ON "seat"("deviceId");

-- CreateIndex
CREATE UNIQUE INDEX "seat_labId_label_key" ON "seat"("labId", "label");

-- CreateIndex
CREATE UNIQUE INDEX "seat_labId_row_col_key" ON "seat"("labId", "row", "col");

-- CreateIndex
CREATE INDEX "telemetry_rollup_bucket_s_ts_idx" ON "telemetry_rollup"("bucket_s", "ts");

-- CreateIndex
CREATE INDEX "agent_event_device_id_ts_idx" ON "agent_event"("device_id", "ts");

-- AddForeignKey
ALTER TABLE "seat" ADD CONSTRAINT "seat_labId_fkey" FOREIGN KEY ("labId") REFERENCES "lab"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "seat" ADD CONSTRAINT "seat_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "device"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "telemetry_rollup" ADD CONSTRAINT "telemetry_rollup_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_event" ADD CONSTRAINT "agent_event_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE;
