import type { Job } from "../../jobs/scheduler.ts";
import type { DeploymentDeps } from "../deployments/deps.ts";
import { advanceAllDeployments } from "../deployments/waves.ts";
import { expireRuns } from "./timeouts.ts";

/** Every 5 s: waves move on soon after their last device is ready, and lost runs end within a few seconds. */
export const RUNS_JOB_EVERY_MS = 5_000;

/** Expires runs lost with an offline device, and moves deployments on to their next wave. */
export function runsAndWavesJob(deps: DeploymentDeps): Job {
  return {
    name: "runs.expire-and-advance",
    everyMs: RUNS_JOB_EVERY_MS,
    async run({ now }) {
      await expireRuns(deps, now);
      await advanceAllDeployments(deps);
    },
  };
}
