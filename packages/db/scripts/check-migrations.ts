// CI check: do prisma/migrations produce exactly prisma/schema.prisma? Exits 1 (with the missing SQL) when not.
// Usage: npm run check:migrations -w @labfleet/db   (uses LABFLEET_TEST_PG_URL when set, else an embedded server)
import { checkMigrationsMatchSchema } from "../src/drift.ts";

const result = await checkMigrationsMatchSchema();
if (result.ok) {
  process.stdout.write("Migrations match prisma/schema.prisma.\n");
} else {
  process.stderr.write(
    "prisma/schema.prisma and prisma/migrations disagree. Make a migration for the schema change:\n" +
      "  DATABASE_URL=postgresql://... npm run db:migrate -- --name what_changed\n" +
      `SQL the migrations are missing:\n${result.script}\n`,
  );
  process.exitCode = 1;
}
