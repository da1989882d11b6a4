// Test fixture: starts the embedded server on argv[2], prints one JSON line, then idles until it is killed.
import { startEmbeddedPostgres } from "../embedded.ts";

const server = await startEmbeddedPostgres({ dataDir: process.argv[2] ?? "", ephemeral: true });
process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port, databaseUrl: server.databaseUrl })}\n`);
setInterval(() => {}, 60_000);
