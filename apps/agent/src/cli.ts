import { resolve } from "node:path";
import { parseCli } from "./cli/args.ts";
import { usageFor } from "./cli/usage.ts";
import { enrollCommand } from "./commands/enroll.ts";
import { runCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { versionCommand } from "./commands/version.ts";
import { defaultConfigPathInputs, resolveConfigPath } from "./config/paths.ts";
import { loadEnv } from "./env.ts";
import { isAgentError } from "./errors.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";

// The CLI's human output; everything else logs through pino.
const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<ExitCode> {
  const env = loadEnv();
  const cli = parseCli(argv);
  if (cli.command === "help") {
    out(usageFor(cli.topic));
    return EXIT.OK;
  }
  const configPath = resolve(resolveConfigPath(cli.config, defaultConfigPathInputs(env)));
  switch (cli.command) {
    case "enroll":
      return enrollCommand({
        configPath,
        serverUrl: cli.serverUrl,
        token: cli.token,
        name: cli.name,
        force: cli.force,
        timeoutMs: 15_000,
        out,
      });
    case "run":
      return runCommand({ configPath, logLevel: env.LABFLEET_LOG_LEVEL });
    case "status":
      return statusCommand({ configPath, json: cli.json, out });
    case "version":
      return versionCommand({ json: cli.json, out });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit now rather than when the event loop drains: a child process of systeminformation or a pending
    // timer must not keep a stopped agent alive. stdout/stderr writes are synchronous for files and pipes.
    process.exit(code);
  },
  (e: unknown) => {
    if (isAgentError(e)) {
      err(`labfleet-agent: ${e.message}`);
      if (e.exitCode === EXIT.USAGE && e.code === "USAGE") err('Run "labfleet-agent --help" for usage.');
      process.exit(e.exitCode);
    }
    err(`labfleet-agent: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(EXIT.UNEXPECTED);
  },
);
