import { realpathSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "@labfleet/protocol";
import { DEFAULT_BUFFER_MAX_BYTES, DiskBuffer } from "../buffer/disk-buffer.ts";
import { collectRawSystemInfo, defaultInventoryMeta, mapInventory } from "../collectors/inventory.ts";
import { collectInventoryInChild } from "../collectors/inventory-child.ts";
import { createSampler } from "../collectors/sampler.ts";
import { isConfigExposed, readConfigFile } from "../config/config-file.ts";
import { ConfigFileCredential } from "../config/credential.ts";
import { AgentError, errnoCode } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { createLogger } from "../logger.ts";
import { DEFAULT_MODEL_CACHE_MAX_BYTES, ModelCache } from "../models/cache.ts";
import { ModelSync } from "../models/sync.ts";
import { resolveStatePaths, StateFileWriter } from "../state-file.ts";
import { AgentConnection } from "../transport/agent-connection.ts";
import { AGENT_VERSION } from "../version.ts";
import { RunManager } from "../workloads/run-manager.ts";

export interface RunOptions {
  configPath: string;
  logLevel: string;
  /** `--state-dir`, else `$LABFLEET_AGENT_STATE_DIR`; absent: beside the config. */
  stateDir?: string | undefined;
  envStateDir?: string | undefined;
}

/** How often the health file is refreshed while running (buffer size and last send change between states). */
const HEALTH_EVERY_MS = 5_000;

function openBuffer(dir: string, maxBytes: number, log: ReturnType<typeof createLogger>): DiskBuffer {
  try {
    return DiskBuffer.open({ dir, maxBytes, log });
  } catch (e) {
    // Not retryable by waiting: a directory we may not write is a setup problem for the person installing.
    throw new AgentError(
      "BUFFER_UNAVAILABLE",
      EXIT.CONFIG_INVALID,
      `Cannot open the offline buffer in ${dir} (${errnoCode(e) ?? String(e)}). Make it writable by this user, or pass --state-dir.`,
    );
  }
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
  const paths = resolveStatePaths(o.configPath, o.stateDir, o.envStateDir);
  const buffer = openBuffer(paths.bufferDir, config.bufferMaxBytes ?? DEFAULT_BUFFER_MAX_BYTES, log);
  const stateWriter = new StateFileWriter(paths.stateFile, log);
  // One holder of the secret for the socket, the model downloads and the run signatures: a rotation reaches all.
  const credential = new ConfigFileCredential(o.configPath, config);
  const connection = new AgentConnection({
    serverUrl: config.serverUrl,
    handshake: {
      deviceId: config.deviceId,
      secret: config.deviceSecret,
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
    },
    credential,
    log,
    sampler,
    buffer,
    bufferMaxBytes: config.bufferMaxBytes,
    // In a child process, so the long-lived agent never loads the hardware probes; in-process only as a fallback.
    collectInventory: () =>
      collectInventoryInChild().catch(async (err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, "inventory child failed; collecting here");
        return mapInventory(await collectRawSystemInfo(log), defaultInventoryMeta(AGENT_VERSION, totalmem()));
      }),
    onState: (state) => void stateWriter.write(state),
  });
  const models = new ModelCache({
    dir: join(paths.dir, "models"),
    maxBytes: config.modelCacheMaxBytes ?? DEFAULT_MODEL_CACHE_MAX_BYTES,
    serverUrl: config.serverUrl,
    auth: {
      deviceId: config.deviceId,
      get secret() {
        return credential.secret;
      },
    },
    log,
  });
  const modelSync = new ModelSync({ store: models, link: connection, log });
  const runs = new RunManager({
    store: models,
    link: connection,
    reportResult: (result) => connection.reportRunResult(result),
    deviceId: config.deviceId,
    get deviceSecret() {
      return credential.secret;
    },
    subscribeSamples: (fn) => connection.subscribeSamples(fn),
    log,
    cliPath: realpathSync(process.argv[1] ?? "."),
  });
  connection.serve({ models: modelSync, runs });

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
      bufferDir: paths.bufferDir,
      buffered: buffer.stats().records,
    },
    "agent starting",
  );
  connection.reportEvent("agent.started", {
    agentVersion: AGENT_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    bufferedRecords: buffer.stats().records,
  });
  const health = setInterval(() => {
    buffer.syncIfDirty();
    connection.publishHealth();
  }, HEALTH_EVERY_MS);
  const code = await connection.run();
  clearInterval(health);
  modelSync.stop();
  // Before the buffer closes: a run cancelled by the shutdown still leaves its result in the buffer.
  await runs
    .stopAll()
    .catch((e: unknown) => log.error({ err: e instanceof Error ? e.message : String(e) }, "cannot stop the workloads"));
  buffer.close();
  await stateWriter.flush();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  log.info({ exitCode: code }, "agent stopped");
  return code;
}
