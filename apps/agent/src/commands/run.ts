import { totalmem } from "node:os";
import { PROTOCOL_VERSION } from "@labfleet/protocol";
import { collectRawSystemInfo, defaultInventoryMeta, mapInventory } from "../collectors/inventory.ts";
import { createSampler } from "../collectors/sampler.ts";
import { isConfigExposed, readConfigFile } from "../config/config-file.ts";
import { stateFilePath } from "../config/paths.ts";
import type { ExitCode } from "../exit-codes.ts";
import { createLogger } from "../logger.ts";
import { StateFileWriter } from "../state-file.ts";
import { AgentConnection } from "../transport/agent-connection.ts";
import { AGENT_VERSION } from "../version.ts";

export interface RunOptions {
  configPath: string;
  logLevel: string;
}

/** Runs until SIGINT/SIGTERM (exit 0) or a final refusal by the server (exit 5 or 6). */
export async function runCommand(o: RunOptions): Promise<ExitCode> {
  const config = await readConfigFile(o.configPath);
  const log = createLogger({ level: o.logLevel }).child({ deviceId: config.deviceId });
  if (await isConfigExposed(o.configPath)) {
    log.warn(
      { configPath: o.configPath },
      "the config file holds the device secret and is readable by other users: chmod 600 it",
    );
  }
  const sampler = createSampler();
  const stateWriter = new StateFileWriter(stateFilePath(o.configPath), log);
  const connection = new AgentConnection({
    serverUrl: config.serverUrl,
    handshake: {
      deviceId: config.deviceId,
      secret: config.deviceSecret,
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
    },
    log,
    sampler,
    collectInventory: async () =>
      mapInventory(await collectRawSystemInfo(log), defaultInventoryMeta(AGENT_VERSION, totalmem())),
    onState: (state) => void stateWriter.write(state),
  });

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "stopping");
    void connection.stop();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  log.info(
    {
      version: AGENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      server: config.serverUrl,
      configPath: o.configPath,
      sampler: sampler.kind,
    },
    "agent starting",
  );
  const code = await connection.run();
  await stateWriter.flush();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  log.info({ exitCode: code }, "agent stopped");
  return code;
}
