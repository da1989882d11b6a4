import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { AgentEnv } from "../env.ts";

export const SYSTEM_CONFIG_PATH = "/etc/labfleet/agent.json";
export const STATE_FILE_NAME = "agent-state.json";

export interface ConfigPathInputs {
  env: { LABFLEET_AGENT_CONFIG?: string | undefined; XDG_CONFIG_HOME?: string | undefined };
  isRoot: boolean;
  home: string;
  exists: (path: string) => boolean;
}

/**
 * Where the config lives, first match wins: `--config`, `$LABFLEET_AGENT_CONFIG`, the system file when
 * running as root and it exists (a service installed by an admin), then the user's XDG config directory.
 */
export function resolveConfigPath(flag: string | undefined, inputs: ConfigPathInputs): string {
  if (flag) return flag;
  if (inputs.env.LABFLEET_AGENT_CONFIG) return inputs.env.LABFLEET_AGENT_CONFIG;
  if (inputs.isRoot && inputs.exists(SYSTEM_CONFIG_PATH)) return SYSTEM_CONFIG_PATH;
  const base = inputs.env.XDG_CONFIG_HOME ?? join(inputs.home, ".config");
  return join(base, "labfleet", "agent.json");
}

export function defaultConfigPathInputs(env: AgentEnv): ConfigPathInputs {
  return {
    env,
    // getuid does not exist on Windows, where there is no root and no /etc.
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    home: homedir(),
    exists: existsSync,
  };
}

/** The health/state file sits beside the config so that `status` finds it with the same `--config`. */
export function stateFilePath(configPath: string): string {
  return join(dirname(configPath), STATE_FILE_NAME);
}
