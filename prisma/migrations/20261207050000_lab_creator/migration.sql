-- An instructor sees the labs they made as well as the labs their classes use.
-- AlterTable
ALTER TABLE "lab" ADD COLUMN     "created_by_id" TEXT;

-- AddForeignKey
ALTER TABLE "lab" ADD CONSTRAINT "lab_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

