import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { type EnrollRequest, enrollRequestSchema, PROTOCOL_VERSION } from "@labfleet/protocol";
import { CONFIG_DIR_MODE, readConfigFile, writeConfigFile } from "../config/config-file.ts";
import { AgentError, errnoCode, isAgentError } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { requestEnrollment } from "../transport/enroll-client.ts";
import { AGENT_VERSION } from "../version.ts";

export interface EnrollOptions {
  configPath: string;
  /** Normalized origin, no trailing slash. */
  serverUrl: string;
  token: string;
  /** What the device is called in the dashboard; this machine's hostname when absent. */
  name: string | undefined;
  force: boolean;
  timeoutMs: number;
  out: (line: string) => void;
}

/** Refuses to overwrite a valid identity unless forced: the old device would be orphaned on the server. */
async function checkExisting(configPath: string, force: boolean): Promise<void> {
  try {
    const existing = await readConfigFile(configPath);
    if (!force) {
      throw new AgentError(
        "ALREADY_ENROLLED",
        EXIT.USAGE,
        `This machine is already enrolled as device ${existing.deviceId} on ${existing.serverUrl} (${configPath}). Pass --force to replace that identity.`,
      );
    }
  } catch (e) {
    // No config, or a corrupt one: enrolling is the fix. Unreadable is not: we could not replace it either.
    if (isAgentError(e) && (e.code === "CONFIG_MISSING" || e.code === "CONFIG_CORRUPT")) return;
    throw e;
  }
}

/** Fails before the token is spent when the config could not be saved afterwards. */
async function checkWritable(configPath: string): Promise<void> {
  const dir = dirname(configPath);
  try {
    await mkdir(dir, { recursive: true, mode: CONFIG_DIR_MODE });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new AgentError(
      "CONFIG_UNWRITABLE",
      EXIT.CONFIG_INVALID,
      `Cannot write the agent config in ${dir} (${errnoCode(e) ?? "error"}). Run as a user that can, or choose another --config.`,
    );
  }
}

export async function enrollCommand(o: EnrollOptions): Promise<ExitCode> {
  const request = enrollRequestSchema.safeParse({
    token: o.token,
    // The protocol has no name field yet: the server names a new device after the hostname it sends.
    hostname: o.name ?? hostname(),
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: AGENT_VERSION,
  } satisfies EnrollRequest);
  if (!request.success) {
    const issue = request.error.issues[0];
    throw new AgentError(
      "BAD_REQUEST",
      EXIT.USAGE,
      `Cannot enroll: ${issue?.path.join(".")} ${issue?.message ?? "is not valid"}.`,
    );
  }
  await checkExisting(o.configPath, o.force);
  await checkWritable(o.configPath);

  const res = await requestEnrollment(o.serverUrl, request.data, { timeoutMs: o.timeoutMs });
  try {
    await writeConfigFile(o.configPath, {
      serverUrl: o.serverUrl,
      deviceId: res.deviceId,
      deviceSecret: res.deviceSecret,
      name: res.name,
    });
  } catch (e) {
    throw new AgentError(
      "CONFIG_UNWRITABLE",
      EXIT.CONFIG_INVALID,
      `Enrolled as device ${res.deviceId}, but saving ${o.configPath} failed (${errnoCode(e) ?? String(e)}). ` +
        "The token use is spent: revoke that device in the dashboard and enroll again.",
    );
  }
  o.out(`Enrolled "${res.name}" as device ${res.deviceId} on ${o.serverUrl}.`);
  o.out(`Saved the device identity to ${o.configPath} (mode 0600).`);
  o.out(`Start the agent with: labfleet-agent run --config ${o.configPath}`);
  return EXIT.OK;
}
