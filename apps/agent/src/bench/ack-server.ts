import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AGENT_NAMESPACE, type InventoryInput } from "@labfleet/protocol";
import { Server } from "socket.io";

/**
 * The smallest server an agent can live against: socket.io on loopback, the agent namespace, every report
 * acknowledged as stored, and the telemetry interval pushed on connect and on demand. No database, no
 * auth: it exists so that the agent can be measured (and watched) on its own.
 */
export interface AckServer {
  url: string;
  telemetryReports: number;
  inventories: InventoryInput[];
  connections: number;
  /** Pushes `config:updated` with this interval to every connected agent (and to later ones). */
  setTelemetryIntervalMs(ms: number): void;
  /** Resolves once `count` telemetry reports have arrived in total, or rejects after `timeoutMs`. */
  waitForTelemetry(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAckServer(telemetryIntervalMs: number): Promise<AckServer> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, transports: ["websocket"] });
  const agents = io.of(AGENT_NAMESPACE);
  let interval = telemetryIntervalMs;
  const waiters: { count: number; resolve: () => void }[] = [];
  const state: AckServer = {
    url: "",
    telemetryReports: 0,
    inventories: [],
    connections: 0,
    setTelemetryIntervalMs(ms) {
      interval = ms;
      agents.emit("config:updated", { telemetryIntervalMs: ms });
    },
    waitForTelemetry(count, timeoutMs) {
      if (state.telemetryReports >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${count} telemetry reports within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      await io.close();
    },
  };
  agents.on("connection", (socket) => {
    state.connections += 1;
    socket.emit("config:updated", { telemetryIntervalMs: interval });
    socket.on("inventory:report", (payload: InventoryInput, ack?: (res: unknown) => void) => {
      state.inventories.push(payload);
      ack?.({ ok: true, data: { changed: true } });
    });
    socket.on("telemetry:report", (payload: { samples?: unknown[] }, ack?: (res: unknown) => void) => {
      state.telemetryReports += 1;
      ack?.({ ok: true, data: { stored: payload?.samples?.length ?? 0 } });
      for (const w of waiters.filter((w) => state.telemetryReports >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    socket.on("events:report", (payload: { events?: unknown[] }, ack?: (res: unknown) => void) => {
      ack?.({ ok: true, data: { stored: payload?.events?.length ?? 0 } });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return state;
}
