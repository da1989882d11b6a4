#!/usr/bin/env node
// `npm start`: build what is missing or stale (turbo caches the rest), then run the control plane.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "production",
};

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 9)) {
  console.error(`LabFleet needs Node.js 20.9 or newer; this is ${process.version}.`);
  process.exit(1);
}

if (!process.argv.includes("--no-build")) {
  console.log("Building LabFleet (the first build takes about a minute)...");
  const built = spawnSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  if (built.status !== 0) {
    console.error("The build failed; see the messages above.");
    process.exit(built.status ?? 1);
  }
}

const server = spawn(process.execPath, ["--enable-source-maps", path.join(root, "apps/web/dist/server.js")], {
  cwd: root,
  env,
  stdio: "inherit",
});
// Ctrl-C reaches the server too (same process group); it shuts down its database and agent, then we follow.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (server.exitCode === null) server.kill(signal);
  });
}
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
