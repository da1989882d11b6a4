import type { DeploymentUpdated } from "@labfleet/protocol";
import type { Db } from "../deps.ts";
import type { RunHub } from "../runs/deps.ts";

/** What the deployment services need of the live fleet (the FleetHub in production). */
export interface DeploymentHub extends RunHub {
  sendDesiredModels(deviceId: string): Promise<void>;
  publishDeployment(update: DeploymentUpdated): void;
}

export interface DeploymentDeps {
  db: Db;
  hub: DeploymentHub;
}

/** Pushes the new desired set to each device (those connected here) and logs, never throws, on failure. */
export async function pushDesired(deps: DeploymentDeps, deviceIds: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(deviceIds)].map((id) =>
      deps.hub
        .sendDesiredModels(id)
        .catch((err: unknown) => deps.db.log.warn({ err, deviceId: id }, "desired models not sent")),
    ),
  );
}
