import { readConfigFile } from "../config/config-file.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { type AgentStateFile, isPidAlive, readStateFile, resolveStatePaths } from "../state-file.ts";

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

export async function collectStatus(
  configPath: string,
  dirs: { stateDir?: string | undefined; envStateDir?: string | undefined } = {},
): Promise<StatusReport> {
  const config = await readConfigFile(configPath);
  const path = resolveStatePaths(configPath, dirs.stateDir, dirs.envStateDir).stateFile;
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

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 0)} MiB`;

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
  if (s?.buffer) {
    const b = s.buffer;
    lines.push(
      `Buffer:     ${mib(b.bytes)} of ${mib(b.maxBytes)}, ${b.records} records waiting (${b.telemetry} telemetry, ${b.events} events) in ${b.dir}`,
    );
    if (b.droppedSamples > 0) lines.push(`Dropped:    ${b.droppedSamples} telemetry samples (buffer full)`);
  }
  if (s) lines.push(`Last send:  ${s.lastSendAt ? when(s.lastSendAt, now) : "none since the agent started"}`);
  if (s?.lastError)
    lines.push(`Last error: ${s.lastError.code}: ${s.lastError.message} at ${when(s.lastError.at, now)}`);
  return lines;
}

export async function statusCommand(o: {
  configPath: string;
  stateDir?: string | undefined;
  envStateDir?: string | undefined;
  json: boolean;
  out: (line: string) => void;
}): Promise<ExitCode> {
  const report = await collectStatus(o.configPath, o);
  if (o.json) o.out(JSON.stringify(report, null, 2));
  else for (const line of formatStatus(report)) o.out(line);
  return EXIT.OK;
}
