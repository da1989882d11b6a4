import { applyRetention, runRollups } from "../services/rollup.ts";
import type { Job } from "./scheduler.ts";

/** Every 10 s, so the finest level (and the "hour" history read from it) trails the live data by one bucket. */
export const rollupJob: Job = {
  name: "telemetry-rollup",
  everyMs: 10_000,
  async run({ db, now }) {
    const r = await runRollups(db, now);
    db.log.debug({ job: "telemetry-rollup", ...r }, "roll-ups computed");
  },
};

/** Hourly is enough: the windows are a day and longer. */
export const rollupRetentionJob: Job = {
  name: "telemetry-retention",
  everyMs: 3_600_000,
  async run({ db, now }) {
    const r = await applyRetention(db, now);
    db.log.info({ job: "telemetry-retention", ...r }, "old telemetry deleted");
  },
};
