-- CreateTable
CREATE TABLE "model" (
    "id" TEXT NOT NULL,
    "slug" TEXT,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "task" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "synthetic" BOOLEAN NOT NULL DEFAULT false,
    "licence" TEXT,
    "source_package" TEXT,
    "source_version" TEXT,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_version" (
    "id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "variant" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "io" JSONB NOT NULL,
    "meta" JSONB NOT NULL DEFAULT '{}',
    "min_memory_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "blob" (
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blob_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "model_version_file" (
    "version_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,

    CONSTRAINT "model_version_file_pkey" PRIMARY KEY ("version_id","name")
);

-- CreateTable
CREATE TABLE "deployment" (
    "id" TEXT NOT NULL,
    "version_id" TEXT NOT NULL,
    "target" JSONB NOT NULL,
    "strategy" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'rolling_out',
    "status_reason" TEXT,
    "current_wave" INTEGER NOT NULL DEFAULT 0,
    "previous_id" TEXT,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_device" (
    "deployment_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "wave" INTEGER NOT NULL DEFAULT 0,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "percent" DOUBLE PRECISION,
    "error_code" TEXT,
    "error_message" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "deployment_device_pkey" PRIMARY KEY ("deployment_id","device_id")
);

-- CreateTable
CREATE TABLE "run_group" (
    "id" TEXT NOT NULL,
    "lab_id" TEXT,
    "version_id" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run" (
    "id" TEXT NOT NULL,
    "group_id" TEXT,
    "device_id" TEXT NOT NULL,
    "version_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "progress" JSONB,
    "result" JSONB,
    "signature" TEXT,
    "signature_valid" BOOLEAN,
    "p50_ms" DOUBLE PRECISION,
    "p95_ms" DOUBLE PRECISION,
    "throughput" DOUBLE PRECISION,
    "accuracy" DOUBLE PRECISION,
    "error_code" TEXT,
    "error_message" TEXT,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "run_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "model_slug_key" ON "model"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "model_version_model_id_variant_key" ON "model_version"("model_id", "variant");

-- CreateIndex
CREATE INDEX "model_version_file_sha256_idx" ON "model_version_file"("sha256");

-- CreateIndex
CREATE INDEX "deployment_status_idx" ON "deployment"("status");

-- CreateIndex
CREATE INDEX "deployment_device_device_id_idx" ON "deployment_device"("device_id");

-- CreateIndex
CREATE INDEX "run_device_id_created_at_idx" ON "run"("device_id", "created_at");

-- CreateIndex
CREATE INDEX "run_group_id_idx" ON "run"("group_id");

-- CreateIndex
CREATE INDEX "run_status_idx" ON "run"("status");

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_file" ADD CONSTRAINT "model_version_file_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_file" ADD CONSTRAINT "model_version_file_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "blob"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_device" ADD CONSTRAINT "deployment_device_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_device" ADD CONSTRAINT "deployment_device_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_group" ADD CONSTRAINT "run_group_lab_id_fkey" FOREIGN KEY ("lab_id") REFERENCES "lab"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_group" ADD CONSTRAINT "run_group_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "run_group"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
