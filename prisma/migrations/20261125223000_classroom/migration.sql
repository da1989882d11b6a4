-- AlterTable
ALTER TABLE "device" ADD COLUMN     "seat_code" TEXT;

-- AlterTable
ALTER TABLE "run" ADD COLUMN     "assignment_id" TEXT,
ADD COLUMN     "session_id" TEXT,
ADD COLUMN     "student_id" TEXT;

-- CreateTable
CREATE TABLE "class" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "term" TEXT NOT NULL,
    "join_code" TEXT NOT NULL,
    "leaderboard_enabled" BOOLEAN NOT NULL DEFAULT false,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "class_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "class_instructor" (
    "class_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "added_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "class_instructor_pkey" PRIMARY KEY ("class_id","user_id")
);

-- CreateTable
CREATE TABLE "class_student" (
    "class_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "external_id" TEXT,
    "joined_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "class_student_pkey" PRIMARY KEY ("class_id","user_id")
);

-- CreateTable
CREATE TABLE "lab_session" (
    "id" TEXT NOT NULL,
    "class_id" TEXT NOT NULL,
    "lab_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "assignment_id" TEXT,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "auto_start" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'scheduled',
    "started_at" TIMESTAMP(3),
    "ended_at" TIMESTAMP(3),
    "started_by_id" TEXT,
    "deployment_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lab_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session_check_in" (
    "id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "checked_in_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_out_at" TIMESTAMP(3),

    CONSTRAINT "session_check_in_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "help_request" (
    "id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "device_id" TEXT,
    "note" TEXT,
    "raised_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMP(3),
    "answered_by_id" TEXT,
    "resolution" TEXT,

    CONSTRAINT "help_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignment" (
    "id" TEXT NOT NULL,
    "class_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "instructions" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "base_spec" JSONB NOT NULL,
    "bounds" JSONB NOT NULL,
    "targets" JSONB NOT NULL,
    "due_at" TIMESTAMP(3) NOT NULL,
    "late_policy" JSONB NOT NULL,
    "published_at" TIMESTAMP(3),
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignment_version" (
    "assignment_id" TEXT NOT NULL,
    "version_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "assignment_version_pkey" PRIMARY KEY ("assignment_id","version_id")
);

-- CreateTable
CREATE TABLE "submission" (
    "id" TEXT NOT NULL,
    "assignment_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "submitted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid" BOOLEAN NOT NULL,
    "invalid_reason" TEXT,
    "checks" JSONB NOT NULL,
    "days_late" INTEGER NOT NULL DEFAULT 0,
    "auto_score" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "submission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "grade_override" (
    "id" TEXT NOT NULL,
    "submission_id" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "comment" TEXT NOT NULL,
    "by_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "grade_override_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "class_join_code_key" ON "class"("join_code");

-- CreateIndex
CREATE INDEX "class_instructor_user_id_idx" ON "class_instructor"("user_id");

-- CreateIndex
CREATE INDEX "class_student_user_id_idx" ON "class_student"("user_id");

-- CreateIndex
CREATE INDEX "lab_session_class_id_starts_at_idx" ON "lab_session"("class_id", "starts_at");

-- CreateIndex
CREATE INDEX "lab_session_lab_id_status_idx" ON "lab_session"("lab_id", "status");

-- CreateIndex
CREATE INDEX "lab_session_status_starts_at_idx" ON "lab_session"("status", "starts_at");

-- CreateIndex
CREATE INDEX "session_check_in_device_id_idx" ON "session_check_in"("device_id");

-- CreateIndex
CREATE INDEX "session_check_in_student_id_idx" ON "session_check_in"("student_id");

-- CreateIndex
CREATE UNIQUE INDEX "session_check_in_session_id_student_id_key" ON "session_check_in"("session_id", "student_id");

-- CreateIndex
CREATE INDEX "help_request_session_id_answered_at_idx" ON "help_request"("session_id", "answered_at");

-- CreateIndex
CREATE INDEX "assignment_class_id_due_at_idx" ON "assignment"("class_id", "due_at");

-- CreateIndex
CREATE INDEX "submission_assignment_id_student_id_submitted_at_idx" ON "submission"("assignment_id", "student_id", "submitted_at");

-- CreateIndex
CREATE INDEX "grade_override_submission_id_created_at_idx" ON "grade_override"("submission_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "device_seat_code_key" ON "device"("seat_code");

-- CreateIndex
CREATE INDEX "run_student_id_created_at_idx" ON "run"("student_id", "created_at");

-- CreateIndex
CREATE INDEX "run_assignment_id_idx" ON "run"("assignment_id");

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "lab_session"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "class_instructor" ADD CONSTRAINT "class_instructor_class_id_fkey" FOREIGN KEY ("class_id") REFERENCES "class"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "class_instructor" ADD CONSTRAINT "class_instructor_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "class_student" ADD CONSTRAINT "class_student_class_id_fkey" FOREIGN KEY ("class_id") REFERENCES "class"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "class_student" ADD CONSTRAINT "class_student_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lab_session" ADD CONSTRAINT "lab_session_class_id_fkey" FOREIGN KEY ("class_id") REFERENCES "class"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lab_session" ADD CONSTRAINT "lab_session_lab_id_fkey" FOREIGN KEY ("lab_id") REFERENCES "lab"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lab_session" ADD CONSTRAINT "lab_session_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session_check_in" ADD CONSTRAINT "session_check_in_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "lab_session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session_check_in" ADD CONSTRAINT "session_check_in_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session_check_in" ADD CONSTRAINT "session_check_in_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "help_request" ADD CONSTRAINT "help_request_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "lab_session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "help_request" ADD CONSTRAINT "help_request_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment" ADD CONSTRAINT "assignment_class_id_fkey" FOREIGN KEY ("class_id") REFERENCES "class"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_version" ADD CONSTRAINT "assignment_version_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_version" ADD CONSTRAINT "assignment_version_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission" ADD CONSTRAINT "submission_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission" ADD CONSTRAINT "submission_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission" ADD CONSTRAINT "submission_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "grade_override" ADD CONSTRAINT "grade_override_submission_id_fkey" FOREIGN KEY ("submission_id") REFERENCES "submission"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "grade_override" ADD CONSTRAINT "grade_override_by_id_fkey" FOREIGN KEY ("by_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

