import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { parseCli } from "./cli/args.ts";
import { usageFor } from "./cli/usage.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { enrollCommand } from "./commands/enroll.ts";
import { currentHost, installServiceCommand } from "./commands/install-service.ts";
import { inventoryCommand } from "./commands/inventory.ts";
import { runCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { uninstallServiceCommand } from "./commands/uninstall-service.ts";
import { versionCommand } from "./commands/version.ts";
import { defaultConfigPathInputs, resolveConfigPath } from "./config/paths.ts";
import { loadEnv } from "./env.ts";
import { isAgentError } from "./errors.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { DEFAULT_UNIT_DIR, SERVICE_CONFIG_PATH } from "./service/unit-file.ts";

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
  if (cli.command === "workload") {
    // Loaded only here: the idle agent never holds the workload code, let alone an inference runtime.
    const { runWorkloadChild } = await import("./workloads/child.ts");
    return runWorkloadChild();
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
      return runCommand({
        configPath,
        logLevel: env.LABFLEET_LOG_LEVEL,
        stateDir: cli.stateDir,
        envStateDir: env.LABFLEET_AGENT_STATE_DIR,
      });
    case "status":
      return statusCommand({
        configPath,
        stateDir: cli.stateDir,
        envStateDir: env.LABFLEET_AGENT_STATE_DIR,
        json: cli.json,
        out,
      });
    case "doctor":
      return doctorCommand({
        configPath,
        stateDir: cli.stateDir,
        envStateDir: env.LABFLEET_AGENT_STATE_DIR,
        json: cli.json,
        out,
      });
    case "version":
      return versionCommand({ json: cli.json, out });
    case "inventory":
      return inventoryCommand({ out });
    case "install-service":
      return installServiceCommand({
        configPath,
        serviceConfigPath: cli.serviceConfig ?? SERVICE_CONFIG_PATH,
        unitDir: cli.unitDir ?? DEFAULT_UNIT_DIR,
        enable: cli.enable,
        dryRun: cli.dryRun,
        // The service runs this very file: through npm's bin symlink it resolves to the installed cli.js.
        nodePath: process.execPath,
        cliPath: realpathSync(process.argv[1] ?? ""),
        host: currentHost(),
        out,
      });
    case "uninstall-service":
      return uninstallServiceCommand({
        serviceConfigPath: cli.serviceConfig ?? SERVICE_CONFIG_PATH,
        unitDir: cli.unitDir ?? DEFAULT_UNIT_DIR,
        purge: cli.purge,
        dryRun: cli.dryRun,
        host: currentHost(),
        out,
      });
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
