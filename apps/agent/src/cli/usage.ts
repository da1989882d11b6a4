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
  run: `Usage: labfleet-agent run [--config PATH]

Connects to the server, reports the inventory and streams telemetry until SIGINT/SIGTERM.
Logs are JSON lines on stdout ($LABFLEET_LOG_LEVEL: fatal|error|warn|info|debug|trace|silent).`,
  status: `Usage: labfleet-agent status [--json] [--config PATH]

Shows the saved identity and the state that the running agent last recorded.

  --json          Print one JSON object.`,
  version: `Usage: labfleet-agent version [--json]

Shows the agent version and the protocol version it speaks.

  --json          Print one JSON object.`,
};

const exitCodes = EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`).join("\n");

export const MAIN_USAGE = `Usage: labfleet-agent <command> [options]

Commands:
  enroll --server URL --token TOKEN [--name NAME] [--force]
                  Enroll this device with a LabFleet server.
  run             Connect and stream telemetry until stopped.
  status [--json] Show the identity and the agent's last recorded state.
  version [--json]
                  Show the agent and protocol versions.

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
