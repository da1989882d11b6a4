import { chmod } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.ts";
import { CONFIG_FILE_MODE, readConfigFile, writeConfigFile } from "../config/config-file.ts";
import { AgentError } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { initName, isRoot, isSystemdRunning, systemctl } from "../service/systemd.ts";
import {
  DEFAULT_UNIT_DIR,
  renderUnitFile,
  SERVICE_CONFIG_PATH,
  SERVICE_STATE_DIR,
  UNIT_NAME,
} from "../service/unit-file.ts";
import { AGENT_VERSION } from "../version.ts";

export interface ServiceHost {
  root: boolean;
  systemdRunning: boolean;
  initName: string;
  systemctl: (args: string[]) => Promise<void>;
}

/** The real machine. Tests pass their own host only to answer "is this root / is systemd PID 1". */
export function currentHost(): ServiceHost {
  return { root: isRoot(), systemdRunning: isSystemdRunning(), initName: initName(), systemctl };
}

export interface InstallServiceOptions {
  /** The enrolled config to install (resolved like every command's --config). */
  configPath: string;
  /** Where the service reads it; the config is copied there with mode 0600 when it is elsewhere. */
  serviceConfigPath: string;
  unitDir: string;
  enable: boolean;
  dryRun: boolean;
  /** ExecStart runs `<nodePath> <cliPath> run`. */
  nodePath: string;
  cliPath: string;
  host: ServiceHost;
  out: (line: string) => void;
}

export const START_COMMAND = `systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`;

/** Writing into /etc needs root; a test that points both paths elsewhere does not. */
export function requireRootFor(o: { unitDir: string; serviceConfigPath: string; dryRun: boolean }, root: boolean) {
  if (o.dryRun || root) return;
  if (resolve(o.unitDir) === DEFAULT_UNIT_DIR || resolve(o.serviceConfigPath) === SERVICE_CONFIG_PATH) {
    throw new AgentError(
      "NEEDS_ROOT",
      EXIT.USAGE,
      "Installing the service writes to /etc/systemd/system and /etc/labfleet: run it as root (sudo labfleet-agent ...).",
    );
  }
}

export async function installServiceCommand(o: InstallServiceOptions): Promise<ExitCode> {
  requireRootFor(o, o.host.root);
  // Refuse before writing anything when there is no identity: a service without one would only crash-loop.
  const config = await readConfigFile(o.configPath);
  const serviceConfig = resolve(o.serviceConfigPath);
  const unitPath = join(resolve(o.unitDir), UNIT_NAME);
  const unit = renderUnitFile({
    nodePath: o.nodePath,
    cliPath: o.cliPath,
    configPath: serviceConfig,
    agentVersion: AGENT_VERSION,
  });
  const copy = resolve(o.configPath) !== serviceConfig;

  if (o.dryRun) {
    o.out(copy ? `Would copy ${o.configPath} to ${serviceConfig} (mode 0600).` : `Would chmod 0600 ${serviceConfig}.`);
    o.out(`Would write ${unitPath}:`);
    o.out(unit);
    if (o.enable) o.out(`Would run: ${START_COMMAND}`);
    return EXIT.OK;
  }

  if (copy) await writeConfigFile(serviceConfig, config);
  else await chmod(serviceConfig, CONFIG_FILE_MODE);
  o.out(copy ? `Copied the config to ${serviceConfig} (mode 0600).` : `Config: ${serviceConfig} (mode 0600).`);
  await writeFileAtomic(unitPath, unit, { mode: 0o644, dirMode: 0o755 });
  o.out(`Wrote ${unitPath}.`);

  if (!o.enable) {
    o.out(`Not enabled (--no-enable). To start it now and at every boot: ${START_COMMAND}`);
  } else if (!o.host.systemdRunning) {
    o.out(`systemd is not running on this machine (PID 1 is ${o.host.initName}), so the service was not started.`);
    o.out(`Where systemd runs, start it with: ${START_COMMAND}`);
  } else {
    await o.host.systemctl(["daemon-reload"]);
    await o.host.systemctl(["enable", UNIT_NAME]);
    // restart, not start: a reinstall must pick up a new binary or config.
    await o.host.systemctl(["restart", UNIT_NAME]);
    o.out(`Enabled and started ${UNIT_NAME}. Logs: journalctl -u ${UNIT_NAME} -f`);
  }
  // The service keeps its health file in its state directory, not beside the config.
  o.out(
    serviceConfig === SERVICE_CONFIG_PATH
      ? `Status: labfleet-agent status --config ${serviceConfig}`
      : `Status: labfleet-agent status --config ${serviceConfig} --state-dir ${SERVICE_STATE_DIR}`,
  );
  return EXIT.OK;
}
