import { PROTOCOL_VERSION } from "@labfleet/protocol";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { AGENT_VERSION } from "../version.ts";

export function versionCommand(o: { json: boolean; out: (line: string) => void }): ExitCode {
  const info = { agentVersion: AGENT_VERSION, protocolVersion: PROTOCOL_VERSION, nodeVersion: process.version };
  if (o.json) o.out(JSON.stringify(info));
  else o.out(`labfleet-agent ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION}, node ${process.version.slice(1)})`);
  return EXIT.OK;
}
