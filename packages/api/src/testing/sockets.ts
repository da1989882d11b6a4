import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentConfig,
  type AgentToServerEvents,
  DASHBOARD_NAMESPACE,
  type DashboardToServerEvents,
  PROTOCOL_VERSION,
  type ServerToAgentEvents,
  type ServerToDashboardEvents,
  type TelemetryPushed,
  type TelemetryRefused,
  type TelemetrySample,
  type TelemetrySampleInput,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import { io, type Socket } from "socket.io-client";

export type AgentClient = Socket<ServerToAgentEvents, AgentToServerEvents> & {
  /** Every `config:updated` received, oldest first (recorded from before the connection opens). */
  configs: AgentConfig[];
};
export type DashboardClient = Socket<ServerToDashboardEvents, DashboardToServerEvents>;

/** Connects a raw agent socket; resolves when connected, rejects with the server's refusal. */
export function connectAgent(url: string, auth: Record<string, unknown>): Promise<AgentClient> {
  const socket = io(`${url}${AGENT_NAMESPACE}`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    auth: { protocolVersion: PROTOCOL_VERSION, agentVersion: "test", ...auth },
  }) as AgentClient;
  socket.configs = [];
  socket.on("config:updated", (c) => socket.configs.push(c));
  return settle(socket);
}

export function connectDashboard(url: string, cookie: string | null): Promise<DashboardClient> {
  const socket: DashboardClient = io(`${url}${DASHBOARD_NAMESPACE}`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    extraHeaders: cookie ? { cookie } : {},
  });
  return settle(socket);
}

/**
 * Sends one live push and answers how the server took it: the confirmation that covers it (`ok`, with the new
 * samples it counts) or its refusal. Pushes are numbered per connection: `number` is this one's.
 */
export function pushTelemetry(
  socket: AgentClient,
  payload: unknown,
  number: number,
  timeoutMs = 5000,
): Promise<Ack<{ stored: number }>> {
  return new Promise((resolve, reject) => {
    const done = (answer: Ack<{ stored: number }>) => {
      clearTimeout(timer);
      socket.off("telemetry:pushed", onPushed);
      socket.off("telemetry:refused", onRefused);
      resolve(answer);
    };
    const onPushed = (p: TelemetryPushed) => {
      if (p.upTo >= number) done({ ok: true, data: { stored: p.stored } });
    };
    const onRefused = (r: TelemetryRefused) => {
      if (r.push === number) done({ ok: false, error: r.error });
    };
    const timer = setTimeout(() => {
      socket.off("telemetry:pushed", onPushed);
      socket.off("telemetry:refused", onRefused);
      reject(new Error(`push ${number} was neither confirmed nor refused within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("telemetry:pushed", onPushed);
    socket.on("telemetry:refused", onRefused);
    (socket.emit as (event: string, ...args: unknown[]) => unknown)("telemetry:push", payload);
  });
}

function settle<S extends Socket>(socket: S): Promise<S> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err: Error & { data?: unknown }) => {
      socket.close();
      reject(err);
    });
  });
}

export function sample(ts: number, overrides: Partial<TelemetrySampleInput> = {}): TelemetrySample {
  return telemetrySampleSchema.parse({
    ts,
    cpuLoadPct: 12.5,
    cpuPerCorePct: [10, 15],
    loadAvg1: 0.4,
    memTotalBytes: 8 * 1024 ** 3,
    memUsedBytes: 3 * 1024 ** 3,
    memAvailableBytes: 5 * 1024 ** 3,
    cpuTempC: null,
    uptimeS: 1234,
    ...overrides,
  });
}

/** Resolves with the next event of that name, or rejects after a bounded wait. */
export function nextEvent<T>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, on);
  });
}
