// `npm test`: every check and test of the repository, ending with one line "N passed, N failed".
// Stages: build, lint, type check, schema/migration drift, unit + integration (node:test), end-to-end (Playwright).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "labfleet-test-"));
const only = new Set(process.argv.slice(2));
const want = (stage: string) => only.size === 0 || only.has(stage);

const env: NodeJS.ProcessEnv = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  FORCE_COLOR: "0",
};

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];

function run(cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", () => resolve(127));
  });
}

async function check(name: string, cmd: string, args: string[]): Promise<boolean> {
  process.stdout.write(`\n== ${name}: ${cmd} ${args.join(" ")}\n`);
  const ok = (await run(cmd, args)) === 0;
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
  return ok;
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (name === "node_modules" || name === ".next" || name === "dist" || name.startsWith(".")) continue;
    // Recorded /sys trees hold symbolic links (some dangling by design): never follow them.
    if (entry.isSymbolicLink()) continue;
    const full = path.join(dir, name);
    if (entry.isDirectory()) findTests(full, out);
    else if (name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

function tapCount(file: string, key: string): number {
  if (!existsSync(file)) return 0;
  const m = readFileSync(file, "utf8").match(new RegExp(`^# ${key} (\\d+)$`, "m"));
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const buildOk = want("build")
    ? await check("build", "npx", ["turbo", "run", "build", "--output-logs=errors-only"])
    : true;
  if (want("lint")) await check("lint", "npx", ["biome", "check", "."]);
  if (want("typecheck")) await check("typecheck", "npx", ["turbo", "run", "typecheck", "--output-logs=errors-only"]);

  // Imported only now: the database package needs the Prisma client that the build stage generates.
  const { startTestPostgres } = await import("@labfleet/db/test-db");
  const pg = await startTestPostgres();
  try {
    const testEnv = { LABFLEET_TEST_PG_URL: pg.url };
    if (want("migrations")) {
      process.stdout.write("\n== migrations match the schema\n");
      const ok = (await run("npm", ["run", "check:migrations", "-w", "@labfleet/db"], testEnv)) === 0;
      if (ok) passed++;
      else {
        failed++;
        failures.push("migrations match the schema");
      }
    }

    if (want("unit")) {
      // The language-model tests need node-llama-cpp; its CPU build comes from the npm registry into .cache/
      // once. When that fails (no registry), those tests skip and say so.
      await run(process.execPath, [path.join(root, "scripts/ensure-llama-runtime.mjs")]);
      const files = [...findTests(path.join(root, "packages")), ...findTests(path.join(root, "apps"))];
      const tap = path.join(tmp, "node.tap");
      process.stdout.write(`\n== unit and integration tests (${files.length} files)\n`);
      const code = await run(
        process.execPath,
        [
          "--import",
          "tsx",
          "--test",
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=tap",
          `--test-reporter-destination=${tap}`,
          ...files,
        ],
        testEnv,
      );
      const p = tapCount(tap, "pass");
      const f = tapCount(tap, "fail") + tapCount(tap, "cancelled");
      passed += p;
      failed += f;
      skipped += tapCount(tap, "skipped") + tapCount(tap, "todo");
      if (code !== 0 && f === 0) {
        failed++;
        failures.push("the node test runner exited non-zero");
      }
      if (f > 0) failures.push(`${f} unit/integration test(s)`);
    }

    if (want("e2e")) {
      if (!buildOk) {
        failed++;
        failures.push("end-to-end tests (not run: the build failed)");
      } else {
        const report = path.join(tmp, "playwright.json");
        process.stdout.write("\n== end-to-end tests (Playwright, Chromium)\n");
        const code = await run(
          "npx",
          ["playwright", "test", "-c", "e2e/playwright.config.ts", "--reporter=list,json"],
          {
            ...testEnv,
            PLAYWRIGHT_JSON_OUTPUT_NAME: report,
          },
        );
        if (existsSync(report)) {
          const stats = JSON.parse(readFileSync(report, "utf8")).stats as Record<string, number>;
          passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
          failed += stats.unexpected ?? 0;
          skipped += stats.skipped ?? 0;
          if ((stats.unexpected ?? 0) > 0) failures.push(`${stats.unexpected} end-to-end test(s)`);
        } else if (code !== 0) {
          failed++;
          failures.push("end-to-end tests (Playwright did not report)");
        }
      }
    }
  } finally {
    await pg.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  if (failures.length > 0) process.stdout.write(`\nFailed: ${failures.join("; ")}\n`);
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.stdout.write(`\n${passed} passed, ${failed + 1} failed\n`);
  process.exit(1);
});
