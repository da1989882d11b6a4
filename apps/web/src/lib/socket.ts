"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { useEffect, useSyncExternalStore } from "react";
import { type ConnectionState, connectionStore } from "./dashboard-socket";
import {
  applyDeviceSummaryToLiveStore,
  type DeviceLiveState,
  deviceLiveServerSnapshot,
  getDeviceLiveStore,
} from "./device-live-store";
import { type FleetState, fleetStore } from "./fleet-store";

export type { ConnectionState } from "./dashboard-socket";
export type { DeviceLiveState } from "./device-live-store";
export { LIVE_WINDOW_MS } from "./device-live-store";
export type { FleetState } from "./fleet-store";

/**
 * Every device, live: a snapshot on subscribe, then `device:updated` / `devices:updated` / `device:removed`,
 * applied at most four times a second. Re-subscribes after every reconnection.
 */
export function useFleet(): FleetState {
  useEffect(() => fleetStore.retain(), []);
  return useSyncExternalStore(fleetStore.subscribe, fleetStore.getSnapshot, fleetStore.getServerSnapshot);
}

/** One device in detail: its summary and its samples of the last five minutes, one a second while watched. */
export function useDeviceLive(deviceId: string): DeviceLiveState {
  const store = getDeviceLiveStore(deviceId);
  useEffect(() => store.retain(), [store]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, deviceLiveServerSnapshot);
}

/** Whether the live connection is up; for a small indicator in the shell. */
export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(
    connectionStore.subscribe,
    connectionStore.getSnapshot,
    connectionStore.getServerSnapshot,
  );
}

/**
 * Shows a summary that a mutation returned (rename, revoke) in every live view at once,
 * rather than waiting for the server's broadcast to come around.
 */
export function applyDeviceSummary(device: DeviceSummary): void {
  fleetStore.applySummary(device);
  applyDeviceSummaryToLiveStore(device);
}
