import { type ParseArgsConfig, parseArgs } from "node:util";
import { AgentError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";

export const COMMANDS = [
  "enroll",
  "run",
  "status",
  "doctor",
  "inventory",
  "version",
  "install-service",
  "uninstall-service",
] as const;
export type CommandName = (typeof COMMANDS)[number];

export type ParsedCli =
  | { command: "help"; topic: CommandName | null }
  // Hidden: the model-workload child process that the run manager spawns with an IPC channel. A person never
  // types it, so it is in neither the usage nor the "Unknown command" list.
  | { command: "workload" }
  | {
      command: "enroll";
      config: string | undefined;
      serverUrl: string;
      token: string;
      name: string | undefined;
      force: boolean;
    }
  | { command: "run"; config: string | undefined; stateDir: string | undefined }
  | { command: "status"; config: string | undefined; stateDir: string | undefined; json: boolean }
  | { command: "doctor"; config: string | undefined; stateDir: string | undefined; json: boolean }
  | { command: "version"; config: string | undefined; json: boolean }
  | { command: "inventory"; config: string | undefined }
  | {
      command: "install-service";
      config: string | undefined;
      serviceConfig: string | undefined;
      unitDir: string | undefined;
      enable: boolean;
      dryRun: boolean;
    }
  | {
      command: "uninstall-service";
      config: string | undefined;
      serviceConfig: string | undefined;
      unitDir: string | undefined;
      purge: boolean;
      dryRun: boolean;
    };

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON: Options = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const PER_COMMAND: Record<CommandName, Options> = {
  enroll: {
    server: { type: "string" },
    token: { type: "string" },
    name: { type: "string" },
    force: { type: "boolean" },
  },
  run: { "state-dir": { type: "string" } },
  status: { json: { type: "boolean" }, "state-dir": { type: "string" } },
  doctor: { json: { type: "boolean" }, "state-dir": { type: "string" } },
  version: { json: { type: "boolean" } },
  inventory: { json: { type: "boolean" } },
  "install-service": {
    "service-config": { type: "string" },
    "unit-dir": { type: "string" },
    "no-enable": { type: "boolean" },
    "dry-run": { type: "boolean" },
  },
  "uninstall-service": {
    "service-config": { type: "string" },
    "unit-dir": { type: "string" },
    purge: { type: "boolean" },
    "dry-run": { type: "boolean" },
  },
};

const ALL_OPTIONS: Options = Object.assign({}, COMMON, ...Object.values(PER_COMMAND));

export function usageError(message: string): AgentError {
  return new AgentError("USAGE", EXIT.USAGE, message);
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

/** The server's origin: http(s), no credentials, path, query or fragment. socket.io needs the bare origin. */
export function parseServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--server must be a URL like https://labfleet.example.org, not "${raw}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`--server must start with https:// or http://, not ${url.protocol}//.`);
  }
  if (url.username || url.password) throw usageError("--server must not contain a user name or password.");
  if (url.pathname !== "/" || url.search || url.hash) {
    throw usageError(`--server must be the server's base URL without a path, like ${url.origin}.`);
  }
  return url.origin;
}

function parseToken(raw: string): string {
  const token = raw.trim();
  if (token.length < 8 || token.length > 128 || /\s/.test(token)) {
    throw usageError("--token must be the enrollment token from the dashboard: 8 to 128 characters, no spaces.");
  }
  return token;
}

function parseName(raw: string): string {
  const name = raw.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (name.length < 1 || name.length > 80 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw usageError("--name must be 1 to 80 printable characters.");
  }
  return name;
}

function requireString(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== "string") throw usageError(`enroll needs --${flag}.`);
  return v;
}

function parseConfigFlag(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw usageError("--config needs a file path.");
  return v;
}

function parsePathFlag(values: Record<string, unknown>, flag: string): string | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw usageError(`--${flag} needs a path.`);
  return v;
}

/** Parses argv (without node and the script). Throws an AgentError with exit code 2 on any misuse. */
export function parseCli(argv: string[]): ParsedCli {
  // First pass, lenient: find the command wherever it is (`--config X status` works too).
  const { tokens } = parseArgs({
    args: argv,
    options: ALL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positional = tokens.find((t) => t.kind === "positional");
  if (!positional) {
    if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { command: "help", topic: null };
    throw usageError(argv.length === 0 ? "Missing command." : `Missing command (got only ${argv.join(" ")}).`);
  }
  const name = positional.value;
  if (name === "workload") {
    if (argv.length !== 1) throw usageError("workload takes no options: the agent starts it for a run.");
    return { command: "workload" };
  }
  if (!isCommand(name)) throw usageError(`Unknown command "${name}". Commands: ${COMMANDS.join(", ")}.`);

  const rest = argv.filter((_, i) => i !== positional.index);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: rest,
      options: { ...COMMON, ...PER_COMMAND[name] },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    // node:util's messages name the flag and say what is wrong with it.
    throw usageError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (values.help) return { command: "help", topic: name };
  const config = parseConfigFlag(values.config);
  switch (name) {
    case "enroll":
      return {
        command: "enroll",
        config,
        serverUrl: parseServerUrl(requireString(values, "server")),
        token: parseToken(requireString(values, "token")),
        name: typeof values.name === "string" ? parseName(values.name) : undefined,
        force: values.force === true,
      };
    case "run":
      return { command: "run", config, stateDir: parsePathFlag(values, "state-dir") };
    case "status":
      return { command: "status", config, stateDir: parsePathFlag(values, "state-dir"), json: values.json === true };
    case "doctor":
      return { command: "doctor", config, stateDir: parsePathFlag(values, "state-dir"), json: values.json === true };
    case "version":
      return { command: "version", config, json: values.json === true };
    case "inventory":
      return { command: "inventory", config };
    case "install-service":
      return {
        command: "install-service",
        config,
        serviceConfig: parsePathFlag(values, "service-config"),
        unitDir: parsePathFlag(values, "unit-dir"),
        enable: values["no-enable"] !== true,
        dryRun: values["dry-run"] === true,
      };
    case "uninstall-service":
      return {
        command: "uninstall-service",
        config,
        serviceConfig: parsePathFlag(values, "service-config"),
        unitDir: parsePathFlag(values, "unit-dir"),
        purge: values.purge === true,
        dryRun: values["dry-run"] === true,
      };
  }
}
