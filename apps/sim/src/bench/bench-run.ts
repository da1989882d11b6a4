// How a bench runs: its flags, its clean-up on every way out, and its results written into docs/BENCHMARKS.md.
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** "2 × AMD EPYC, Node v20.20.2": the machine a results block was measured on. */
export function machineNote(): string {
  const cpu = os.cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, Node ${process.version}`;
}

/** "the machine's PostgreSQL server (fresh database)" or "embedded PostgreSQL", as the benches use them. */
export function databaseNote(): string {
  return process.env.LABFLEET_TEST_PG_URL ? "the machine's PostgreSQL server (fresh database)" : "embedded PostgreSQL";
}

/**
 * Replaces the results of bench `name` in docs/BENCHMARKS.md, the lines between `<!-- bench:<name> results start -->`
 * and its end marker; throws when the file has no such markers.
 */
export async function writeResults(name: string, lines: readonly string[]): Promise<void> {
  const start = `<!-- bench:${name} results start -->`;
  const end = `<!-- bench:${name} results end -->`;
  const doc = path.join(repoRoot, "docs/BENCHMARKS.md");
  const text = await readFile(doc, "utf8");
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/BENCHMARKS.md has no bench:${name} results markers`);
  await writeFile(doc, text.slice(0, a) + [start, ...lines, end].join("\n") + text.slice(b + end.length));
  process.stdout.write("wrote docs/BENCHMARKS.md\n");
}

/** A bad command line: said in one line with the usage, never as a stack trace. */
export class UsageError extends Error {}

/** node:util parseArgs, with an unknown or malformed flag turned into a UsageError. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(options: T, usage: string) {
  try {
    return parseArgs({ options, strict: true }).values;
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
}

/** How a bench reports its failure: a usage error briefly (exit 2), anything else with its stack (exit 1). */
export function failureOf(bench: string, e: unknown): { text: string; code: number } {
  if (e instanceof UsageError) return { text: `${bench}: ${e.message}\n`, code: 2 };
  return { text: `${bench} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`, code: 1 };
}

/**
 * Runs a bench's main with its clean-up on every way out: success, failure, Ctrl-C, SIGTERM, or the hard time
 * limit. Exits with main's code (usage errors 2, failures 1, the limit 2, signals 128 + n).
 */
export function runBench(name: string, main: () => Promise<number>, cleanUp: () => Promise<void>, hardLimitMs: number) {
  function abort(why: string, code: number): void {
    process.stderr.write(`${name}: ${why}; stopping\n`);
    // Long enough for a loaded control plane's graceful stop (15 s), the simulators' and the database's drop.
    const force = setTimeout(() => process.exit(code), 45_000);
    void cleanUp().finally(() => {
      clearTimeout(force);
      process.exit(code);
    });
  }
  const killer = setTimeout(() => abort(`over the hard limit of ${hardLimitMs / 1000} s`, 2), hardLimitMs);
  killer.unref();
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  main().then(
    async (code) => {
      await cleanUp();
      process.exit(code);
    },
    async (e: unknown) => {
      const failure = failureOf(name, e);
      process.stderr.write(failure.text);
      await cleanUp();
      process.exit(failure.code);
    },
  );
}
