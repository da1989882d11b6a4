import { readConfigFile } from "../config/config-file.ts";
import { stateFilePath } from "../config/paths.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { type AgentStateFile, isPidAlive, readStateFile } from "../state-file.ts";

export interface StatusReport {
  configPath: string;
  serverUrl: string;
  deviceId: string;
  name: string;
  /** Whether the process that wrote the state file is alive and has not stopped. */
  running: boolean;
  stateFile: string;
  /** The last state the agent recorded; null when it never ran with this config. */
  state: AgentStateFile | null;
}

export async function collectStatus(configPath: string): Promise<StatusReport> {
  const config = await readConfigFile(configPath);
  const path = stateFilePath(configPath);
  const state = await readStateFile(path);
  return {
    configPath,
    serverUrl: config.serverUrl,
    deviceId: config.deviceId,
    name: config.name,
    running: state !== null && state.state !== "offline" && isPidAlive(state.pid),
    stateFile: path,
    state,
  };
}

function when(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const ago = s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
  return `${new Date(ms).toISOString()} (${ago} ago)`;
}

export function formatStatus(r: StatusReport, now = Date.now()): string[] {
  const lines = [`Config:     ${r.configPath}`, `Server:     ${r.serverUrl}`, `Device:     ${r.deviceId} (${r.name})`];
  const s = r.state;
  if (!s) {
    lines.push("State:      not running (it has not run with this config yet)");
  } else if (r.running) {
    lines.push(`State:      ${s.state} since ${when(s.since, now)}, pid ${s.pid}`);
    if (s.state === "backing_off" && s.nextRetryAt) lines.push(`Next try:   ${new Date(s.nextRetryAt).toISOString()}`);
  } else {
    lines.push(`State:      not running (last recorded: ${s.state} since ${when(s.since, now)}, pid ${s.pid})`);
  }
  if (s?.lastError)
    lines.push(`Last error: ${s.lastError.code}: ${s.lastError.message} at ${when(s.lastError.at, now)}`);
  return lines;
}

export async function statusCommand(o: {
  configPath: string;
  json: boolean;
  out: (line: string) => void;
}): Promise<ExitCode> {
  const report = await collectStatus(o.configPath);
  if (o.json) o.out(JSON.stringify(report, null, 2));
  else for (const line of formatStatus(report)) o.out(line);
  return EXIT.OK;
}
