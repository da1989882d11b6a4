// Prisma CLI configuration. Prisma 6.19.3 can only run offline through its WebAssembly schema engine
// (engine "js" + a driver adapter); the native engine would be downloaded. See prisma/cli-adapter.ts for why the
// adapter is wrapped. The CLI connects with DATABASE_URL (and SHADOW_DATABASE_URL, optional); it does not read .env.
import { defineConfig } from "prisma/config";
import { CliAdapterFactory, cliDatabaseUrl, unrefLongTimers } from "./prisma/cli-adapter.ts";

unrefLongTimers();

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  // Called only by commands that touch a database, so `prisma generate` works without DATABASE_URL.
  adapter: async () => new CliAdapterFactory(cliDatabaseUrl(), process.env.SHADOW_DATABASE_URL || undefined),
});
