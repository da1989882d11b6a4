import { EXIT_CODE_HELP } from "../exit-codes.ts";
import type { CommandName } from "./args.ts";

const CONFIG_HELP = `  --config PATH   Config file. Default: $LABFLEET_AGENT_CONFIG, else /etc/labfleet/agent.json
                  when running as root and it exists, else $XDG_CONFIG_HOME/labfleet/agent.json
                  (~/.config/labfleet/agent.json). The state file agent-state.json sits beside it.
  -h, --help      Show help.`;

const COMMAND_HELP: Record<CommandName, string> = {
  enroll: `Usage: labfleet-agent enroll --server URL --token TOKEN [--name NAME] [--force] [--config PATH]

Exchanges an enrollment token (from the dashboard) for this device's identity and saves it
in the config file (mode 0600).

  --server URL    The LabFleet server's base URL, e.g. https://labfleet.school.example
  --token TOKEN   The enrollment token.
  --name NAME     The name the device gets in the dashboard (default: this machine's hostname).
  --force         Replace an identity that is already saved.`,
  run: `Usage: labfleet-agent run [--state-dir DIR] [--config PATH]

Connects to the server, reports the inventory and streams telemetry until SIGINT/SIGTERM.
While the server is away it keeps sampling into an on-disk buffer (10 s roll-ups, every event)
and replays it on reconnect. Logs are JSON lines on stdout
($LABFLEET_LOG_LEVEL: fatal|error|warn|info|debug|trace|silent).

  --state-dir DIR Where the health file and the offline buffer live. Default:
                  $LABFLEET_AGENT_STATE_DIR, else the config file's directory.`,
  status: `Usage: labfleet-agent status [--json] [--state-dir DIR] [--config PATH]

Shows the saved identity and the state that the running agent last recorded: connection state,
offline buffer size, last successful send, last error.

  --json          Print one JSON object.
  --state-dir DIR As for run.`,
  doctor: `Usage: labfleet-agent doctor [--json] [--state-dir DIR] [--config PATH]

Checks this agent's setup and says what to fix: the config file and its mode, the server
(reachable, accepts this device's credential, clock skew), each collector and runtime, and
the offline buffer's directory and free disk. Exits 0 when no check fails.

  --json          Print one JSON object.
  --state-dir DIR As for run.`,
  "install-service": `Usage: labfleet-agent install-service [--service-config PATH] [--unit-dir DIR] [--no-enable] [--dry-run] [--config PATH]

Runs the agent as a systemd service (as root): copies the enrolled config to the service's config
(mode 0600), writes DIR/labfleet-agent.service and enables and starts it when systemd is running.

  --service-config PATH  Where the service reads its config. Default: /etc/labfleet/agent.json
  --unit-dir DIR         Where the unit is written. Default: /etc/systemd/system
  --no-enable            Write the files only; do not enable or start the service.
  --dry-run              Print what would be written and run; change nothing.`,
  "uninstall-service": `Usage: labfleet-agent uninstall-service [--purge] [--service-config PATH] [--unit-dir DIR] [--dry-run]

Stops and disables the service and removes its unit (as root).

  --purge                Also delete the service's config (this device's identity) and state.
  --service-config PATH  Default: /etc/labfleet/agent.json
  --unit-dir DIR         Default: /etc/systemd/system
  --dry-run              Print what would be removed; change nothing.`,
  version: `Usage: labfleet-agent version [--json]

Shows the agent version and the protocol version it speaks.

  --json          Print one JSON object.`,
  inventory: `Usage: labfleet-agent inventory [--json]

Prints what the agent knows about this machine (the inventory it reports), as one JSON object.
The running agent collects it this way, in a short-lived process, to stay small while idle.`,
};

const exitCodes = EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`).join("\n");

export const MAIN_USAGE = `Usage: labfleet-agent <command> [options]

Commands:
  enroll --server URL --token TOKEN [--name NAME] [--force]
                  Enroll this device with a LabFleet server.
  run             Connect and stream telemetry until stopped.
  status [--json] Show the identity and the agent's last recorded state.
  doctor [--json] Check the setup and the server; say what to fix.
  version [--json]
                  Show the agent and protocol versions.
  inventory       Print this machine's inventory as JSON.
  install-service [--no-enable] [--dry-run]
                  Run the agent as a systemd service (root).
  uninstall-service [--purge]
                  Stop and remove the service (root).

Options (every command):
${CONFIG_HELP}

Exit codes:
${exitCodes}

Run "labfleet-agent <command> --help" for a command's options.`;

export function usageFor(topic: CommandName | null): string {
  return topic
    ? `${COMMAND_HELP[topic]}\n\nOptions (every command):\n${CONFIG_HELP}\n\nExit codes:\n${exitCodes}`
    : MAIN_USAGE;
}
