import type { Ack, RunCancel, RunStartInput, RunUpdated } from "@labfleet/protocol";
import type { AlertBroadcaster } from "../alert.ts";
import type { Db } from "../deps.ts";

/** What the run services need of the live fleet (the FleetHub in production). */
export interface RunHub extends AlertBroadcaster {
  isOnline(deviceId: string): boolean;
  /** Sends run:start and waits for the agent's ack; rejects when it does not answer in time. */
  startRunOnAgent(deviceId: string, payload: RunStartInput, timeoutMs: number): Promise<Ack<{ accepted: true }>>;
  /** False when the device is not connected here. */
  cancelRunOnAgent(deviceId: string, payload: RunCancel): boolean;
  publishRun(update: RunUpdated): void;
}

export interface RunDeps {
  db: Db;
  hub: RunHub;
}
