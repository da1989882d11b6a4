// One side of `npm run bench:transport`, in a process of its own, driven over IPC: either a bare socket.io server
// that acks every report at once (no validation, no database, no dashboard), or a set of socket.io clients that
// report one simulated sample a second each with an ack, as the agent does. Loopback only.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io, type Socket } from "socket.io-client";
import { makeHardware } from "../hardware.ts";
import { DeviceModel } from "../personality.ts";

export type PeerRequest =
  | { type: "serve" }
  | { type: "connect"; url: string; devices: number; seed: number; ack: boolean }
  | { type: "count" }
  | { type: "stop" };

export interface PeerReply {
  port?: number;
  connected?: number;
  sent?: number;
  acked?: number;
}

const ACK_TIMEOUT_MS = 10_000;
const send = (reply: PeerReply) => process.send?.(reply);

let server: Server | null = null;
const clients: { socket: Socket; timer: NodeJS.Timeout | null }[] = [];
let sent = 0;
let acked = 0;

function serve(): void {
  const http = createServer();
  server = new Server(http, { transports: ["websocket"], serveClient: false });
  server.of("/agent").on("connection", (socket) => {
    socket.on("telemetry:report", (payload: { samples?: unknown[] }, ack?: (res: unknown) => void) => {
      ack?.({ ok: true, data: { stored: payload?.samples?.length ?? 0 } });
    });
  });
  http.listen(0, "127.0.0.1", () => send({ port: (http.address() as AddressInfo).port }));
}

function connect(url: string, devices: number, seed: number, ack: boolean): void {
  for (let i = 0; i < devices; i++) {
    const model = new DeviceModel(seed + i, makeHardware(seed, i), "steady");
    const socket = io(`${url}/agent`, { transports: ["websocket"], forceNew: true });
    const client = { socket, timer: null as NodeJS.Timeout | null };
    const tick = () => {
      client.timer = setTimeout(tick, 1000);
      if (!socket.connected) return;
      sent++;
      const report = { samples: [model.sample(Date.now())] };
      if (!ack) {
        socket.emit("telemetry:report", report);
        return;
      }
      socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck("telemetry:report", report)
        .then(() => acked++)
        .catch(() => undefined);
    };
    // Spread over the second, as the simulator does.
    client.timer = setTimeout(tick, Math.floor(Math.random() * 1000));
    clients.push(client);
  }
  send({});
}

process.on("message", (req: PeerRequest) => {
  switch (req.type) {
    case "serve":
      serve();
      return;
    case "connect":
      connect(req.url, req.devices, req.seed, req.ack);
      return;
    case "count":
      send({ connected: clients.filter((c) => c.socket.connected).length, sent, acked });
      return;
    case "stop":
      for (const c of clients) {
        if (c.timer) clearTimeout(c.timer);
        c.socket.disconnect();
      }
      server?.close();
      setTimeout(() => process.exit(0), 200);
      return;
  }
});
process.on("disconnect", () => process.exit(0));
