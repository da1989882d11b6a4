import type { FleetHub } from "../realtime/hub.ts";
import type { Db } from "../services/deps.ts";
import { runsAndWavesJob } from "../services/runs/job.ts";
import { alertsJob } from "./alerts.ts";
import { rollupJob, rollupRetentionJob } from "./rollup.ts";
import type { JobScheduler } from "./scheduler.ts";
import { sessionsJob } from "./sessions.ts";
import { webhooksJob } from "./webhooks.ts";

export interface JobDeps {
  db: Db;
  hub: FleetHub;
}

/** Every background job of the control plane, registered in one place (one line per job). */
export function registerJobs(scheduler: JobScheduler, deps: JobDeps): void {
  void scheduler;
  void deps;
  scheduler.add(alertsJob(deps));
  scheduler.add(webhooksJob());
  scheduler.add(rollupJob);
  scheduler.add(rollupRetentionJob);
  scheduler.add(runsAndWavesJob(deps));
  scheduler.add(sessionsJob(deps));
}
