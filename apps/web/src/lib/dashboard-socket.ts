"use client";

import type { DashboardToServerEvents, ServerToDashboardEvents } from "@labfleet/protocol";
import { io, type Socket } from "socket.io-client";
import { goToLogin } from "./errors";

export type DashboardSocket = Socket<ServerToDashboardEvents, DashboardToServerEvents>;

/**
 * `idle`: no live view has needed the socket yet; `connecting`: first attempt; `live`: connected;
 * `reconnecting`: was live or failed, trying again; `refused`: this account may not watch the fleet.
 */
export type ConnectionState = "idle" | "connecting" | "live" | "reconnecting" | "refused";

/** How long a subscribe request may wait for its ack before the UI says the server is not answering. */
export const ACK_TIMEOUT_MS = 10_000;
const RETRY_AFTER_REFUSAL_MS = 3_000;

let socket: DashboardSocket | null = null;
let connectionState: ConnectionState = "idle";
const connectionListeners = new Set<() => void>();
const connectHandlers = new Set<() => void>();

function setConnectionState(next: ConnectionState): void {
  if (next === connectionState) return;
  connectionState = next;
  for (const listener of connectionListeners) listener();
}

/** The code of a refusal by the namespace middleware, which socket.io passes on as `err.data`. */
function refusalCode(err: Error & { data?: unknown }): string | null {
  const data = err.data as { code?: unknown } | undefined;
  return typeof data?.code === "string" ? data.code : null;
}

/** The one dashboard socket of this tab, created on first use. Every live view shares it. */
export function getDashboardSocket(): DashboardSocket {
  if (socket) return socket;
  const s: DashboardSocket = io(`${window.location.origin}/dashboard`, {
    transports: ["websocket"],
    withCredentials: true,
  });
  s.on("connect", () => {
    setConnectionState("live");
    // A new connection has no rooms: every live view subscribes again.
    for (const handler of connectHandlers) handler();
  });
  s.on("disconnect", (reason) => {
    setConnectionState("reconnecting");
    // socket.io does not reconnect after the server closed the socket on purpose; the session may still be valid.
    if (reason === "io server disconnect") setTimeout(() => s.connect(), RETRY_AFTER_REFUSAL_MS);
  });
  s.on("connect_error", (err) => {
    const code = refusalCode(err);
    if (code === "UNAUTHORIZED") {
      goToLogin();
      return;
    }
    if (code === "FORBIDDEN") {
      // Retrying cannot help: the role decides. The pages show the API's own FORBIDDEN message.
      setConnectionState("refused");
      return;
    }
    setConnectionState("reconnecting");
    // A refusal by middleware leaves the socket inactive; a transport error is retried by socket.io itself.
    if (!s.active) setTimeout(() => s.connect(), RETRY_AFTER_REFUSAL_MS);
  });
  socket = s;
  setConnectionState("connecting");
  return s;
}

/** Runs `handler` after every (re)connection; returns the function that stops it. */
export function onSocketConnect(handler: () => void): () => void {
  connectHandlers.add(handler);
  return () => connectHandlers.delete(handler);
}

export const connectionStore = {
  subscribe(listener: () => void): () => void {
    connectionListeners.add(listener);
    return () => connectionListeners.delete(listener);
  },
  getSnapshot: (): ConnectionState => connectionState,
  getServerSnapshot: (): ConnectionState => "idle",
};

/**
 * Reference counting with a grace period, so that a view that unmounts and mounts again
 * (React's strict mode, or navigating from a tile to its device and back) keeps its subscription.
 */
export class Retainer {
  private refs = 0;
  private stopTimer: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  constructor(
    private readonly start: () => void,
    private readonly stop: () => void,
    private readonly graceMs = 2_000,
  ) {}

  get active(): boolean {
    return this.refs > 0;
  }

  retain(): () => void {
    this.refs += 1;
    if (this.stopTimer !== null) {
      clearTimeout(this.stopTimer);
      this.stopTimer = null;
    }
    if (!this.running) {
      this.running = true;
      this.start();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.refs -= 1;
      if (this.refs > 0) return;
      this.stopTimer = setTimeout(() => {
        this.stopTimer = null;
        if (this.refs > 0 || !this.running) return;
        this.running = false;
        this.stop();
      }, this.graceMs);
    };
  }
}
