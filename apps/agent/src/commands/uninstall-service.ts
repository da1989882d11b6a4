import { readdir, rm, rmdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { stateFilePath } from "../config/paths.ts";
import { errnoCode } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { SERVICE_CONFIG_PATH, SERVICE_STATE_DIR, UNIT_NAME } from "../service/unit-file.ts";
import { requireRootFor, type ServiceHost } from "./install-service.ts";

export interface UninstallServiceOptions {
  serviceConfigPath: string;
  unitDir: string;
  /** Also delete the config (the device's identity), its state file and the state directory. */
  purge: boolean;
  dryRun: boolean;
  host: ServiceHost;
  out: (line: string) => void;
}

/** Removes a file; true when it was there. */
async function remove(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw e;
  }
}

/** Removes a directory only when it is empty: it may hold files that are not ours. */
async function removeIfEmpty(dir: string): Promise<void> {
  try {
    if ((await readdir(dir)).length === 0) await rmdir(dir);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw e;
  }
}

export async function uninstallServiceCommand(o: UninstallServiceOptions): Promise<ExitCode> {
  requireRootFor(o, o.host.root);
  const unitPath = join(resolve(o.unitDir), UNIT_NAME);
  const serviceConfig = resolve(o.serviceConfigPath);
  const purged = [serviceConfig, stateFilePath(serviceConfig)];
  if (o.dryRun) {
    if (o.host.systemdRunning) o.out(`Would run: systemctl disable --now ${UNIT_NAME}`);
    o.out(`Would remove ${unitPath}.`);
    if (o.purge) {
      const stateDir = serviceConfig === SERVICE_CONFIG_PATH ? [SERVICE_STATE_DIR] : [];
      o.out(`Would remove ${[...purged, ...stateDir].join(", ")}.`);
    }
    return EXIT.OK;
  }
  if (o.host.systemdRunning) {
    // A unit that was never enabled makes disable fail; stopping is what matters, so go on regardless.
    await o.host.systemctl(["disable", "--now", UNIT_NAME]).catch((e: unknown) => o.out(String(e)));
  }
  o.out((await remove(unitPath)) ? `Removed ${unitPath}.` : `No unit at ${unitPath}.`);
  if (o.host.systemdRunning) await o.host.systemctl(["daemon-reload"]);
  if (o.purge) {
    for (const path of purged) if (await remove(path)) o.out(`Removed ${path}.`);
    await removeIfEmpty(dirname(serviceConfig));
    // StateDirectory= belongs to the service only when it runs with the system config.
    if (serviceConfig === SERVICE_CONFIG_PATH) await rm(SERVICE_STATE_DIR, { recursive: true, force: true });
    o.out("Purged: this machine must be enrolled again to report to LabFleet.");
  }
  return EXIT.OK;
}
