import { isAbsolute } from "node:path";
import { AgentError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { AGENT_NODE_FLAGS } from "../node-flags.ts";

export const UNIT_NAME = "labfleet-agent.service";
export const DEFAULT_UNIT_DIR = "/etc/systemd/system";
/** Where the service reads its identity. The agent writes its state file beside it (see stateFilePath). */
export const SERVICE_CONFIG_PATH = "/etc/labfleet/agent.json";
/** systemd's ConfigurationDirectory= and StateDirectory= name, i.e. /etc/labfleet and /var/lib/labfleet. */
const DIRECTORY_NAME = "labfleet";
/** The service's health file and offline buffer (LABFLEET_AGENT_STATE_DIR): the only place it writes. */
export const SERVICE_STATE_DIR = `/var/lib/${DIRECTORY_NAME}`;

export interface UnitFileInputs {
  /** Absolute path of the node binary: systemd's PATH may not hold the one the admin installed with. */
  nodePath: string;
  /** Absolute path of the agent's cli.js. */
  cliPath: string;
  /** Absolute path of the config file the service runs with. */
  configPath: string;
  agentVersion: string;
}

function badPath(what: string, value: string): AgentError {
  return new AgentError(
    "BAD_PATH",
    EXIT.USAGE,
    `${what} must be an absolute path without control characters, not "${value}".`,
  );
}

/**
 * One word of a unit file line. systemd splits on whitespace and unquotes "..." with C escapes, and expands
 * %-specifiers everywhere and $VARIABLES in Exec lines; a path with a space, quote, % or $ must survive all three.
 */
export function quoteUnitWord(word: string, opts: { exec: boolean }): string {
  let w = word.replaceAll("%", "%%");
  if (opts.exec) w = w.replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) && !(opts.exec && w.startsWith("$"))) return w;
  return `"${w.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function checkPath(what: string, value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a newline would end the directive and start another.
  if (!isAbsolute(value) || /[\u0000-\u001f\u007f]/.test(value)) throw badPath(what, value);
  return value;
}

/**
 * The systemd unit for `labfleet-agent run`. Hardened so that a compromised agent can write only its state
 * directory (health file and offline buffer), not even its own config, while it still reads /proc,
 * /sys and /dev for telemetry. Deliberately absent: MemoryDenyWriteExecute (breaks V8's JIT), ProtectProc
 * and PrivateDevices (hide the processes and GPUs the agent reports on), ProtectClock (its device allow-list
 * would hide the GPUs too), ProtectKernelLogs (harmless to keep
 * readable), RestartSteps= (needs systemd 254; Debian 12 and Ubuntu 22.04 ship older ones).
 */
export function renderUnitFile(i: UnitFileInputs): string {
  const node = checkPath("The node binary", i.nodePath);
  const cli = checkPath("The agent CLI", i.cliPath);
  const config = checkPath("--service-config", i.configPath);
  const exec = [node, ...AGENT_NODE_FLAGS, cli, "run", "--config", config]
    .map((w) => quoteUnitWord(w, { exec: true }))
    .join(" ");
  const lines = [
    `# Written by labfleet-agent install-service ${i.agentVersion}; remove with labfleet-agent uninstall-service.`,
    "[Unit]",
    "Description=LabFleet agent (reports this device to the LabFleet control plane)",
    "Wants=network-online.target",
    "After=network-online.target",
    // Never give up restarting: a classroom PC that lost the network for an hour must come back by itself.
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${exec}`,
    // The health file and the offline buffer go to StateDirectory=, so the config directory stays read-only.
    `Environment=LABFLEET_AGENT_STATE_DIR=${SERVICE_STATE_DIR}`,
    "Restart=always",
    "RestartSec=5s",
    // The agent already retries the network with its own backoff; these exits need a person (exit-codes.ts):
    // bad usage, credential refused or device revoked, protocol mismatch, config missing or corrupt.
    "RestartPreventExitStatus=2 5 6 7",
    "TimeoutStopSec=15s",
    // Logs are JSON lines on stdout, with deviceId bound: the journal keeps them.
    "StandardOutput=journal",
    "StandardError=journal",
    "SyslogIdentifier=labfleet-agent",
    `ConfigurationDirectory=${DIRECTORY_NAME}`,
    "ConfigurationDirectoryMode=0700",
    `StateDirectory=${DIRECTORY_NAME}`,
    "StateDirectoryMode=0700",
    `WorkingDirectory=${SERVICE_STATE_DIR}`,
    "UMask=0077",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=read-only",
    // StateDirectory= is writable under ProtectSystem=strict anyway; saying so keeps that visible here.
    `ReadWritePaths=${SERVICE_STATE_DIR}`,
    "PrivateTmp=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "ProtectHostname=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ];
  return lines.join("\n");
}
