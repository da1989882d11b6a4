import { AlertEvaluator, type LiveFleet } from "../services/alert-evaluation.ts";
import type { Db } from "../services/deps.ts";
import type { Job } from "./scheduler.ts";

/** Every 5 s: well inside the shortest default duration (30 s), and cheap (one pass over the device rows). */
export const ALERTS_EVERY_MS = 5_000;

/** Evaluates the alert rules over the latest telemetry and the devices' last contact. */
export function alertsJob(deps: { db: Db; hub: LiveFleet & { refreshRemoteSamples(): Promise<void> } }): Job {
  const evaluator = new AlertEvaluator(deps);
  return {
    name: "alerts.evaluate",
    everyMs: ALERTS_EVERY_MS,
    async run({ now }) {
      // Devices on other processes: their latest samples, so that threshold rules see them too.
      await deps.hub.refreshRemoteSamples();
      await evaluator.evaluate(now);
    },
  };
}
