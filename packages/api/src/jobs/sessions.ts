import { runSessionSchedule, type SessionDeps } from "../services/classroom/sessions.ts";
import type { Job } from "./scheduler.ts";

/** Every 15 s: a class starts and ends within a quarter of a minute of its time, for one cheap query per tick. */
export const SESSIONS_EVERY_MS = 15_000;

/** Starts auto-start lab sessions at their start time and ends active ones at their end time. */
export function sessionsJob(deps: SessionDeps): Job {
  return {
    name: "sessions.schedule",
    everyMs: SESSIONS_EVERY_MS,
    async run({ now }) {
      await runSessionSchedule(deps, new Date(now));
    },
  };
}
