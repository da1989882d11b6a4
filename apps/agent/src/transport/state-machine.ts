/**
 * The agent's connection state machine. `offline` means stopped (not started, or shut down for good);
 * a lost connection is `backing_off`, waiting for the next attempt.
 *
 *   offline --start--> connecting --connected--> online
 *                         ^   |                    |
 *                   retry |   | connect_failed     | disconnected
 *                         |   v                    |
 *                       backing_off <--------------+
 *   every state --stop--> offline
 */
export const connectionStates = ["offline", "connecting", "online", "backing_off"] as const;
export type ConnectionState = (typeof connectionStates)[number];

export type ConnectionEvent = "start" | "connected" | "connect_failed" | "disconnected" | "retry" | "stop";

const TRANSITIONS: Record<ConnectionState, Partial<Record<ConnectionEvent, ConnectionState>>> = {
  offline: { start: "connecting" },
  connecting: { connected: "online", connect_failed: "backing_off", stop: "offline" },
  online: { disconnected: "backing_off", stop: "offline" },
  backing_off: { retry: "connecting", stop: "offline" },
};

/** The next state, or null when the event is not allowed in this state (a bug in the caller, or a late event). */
export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState | null {
  return TRANSITIONS[state][event] ?? null;
}
