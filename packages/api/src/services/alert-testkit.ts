// Test helpers for the alert, webhook and metrics tests (not used by the server).
import { PROTOCOL_VERSION, type TelemetrySampleInput } from "@labfleet/protocol";
import type { TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, connectAgent, sample } from "../testing/sockets.ts";
import { enrollDevice } from "./device.ts";
import { createEnrollmentToken } from "./enrollment-token.ts";

export interface TestDevice {
  deviceId: string;
  secret: string;
  agent: AgentClient | null;
  /** Connects the device's agent socket (a real socket.io client through the real handshake). */
  connect(): Promise<AgentClient>;
  /** Sends one sample through the agent socket and waits for the server's ack (stored and in the hub). */
  report(overrides: Partial<TelemetrySampleInput>): Promise<void>;
  disconnect(): void;
}

let tsBase = Date.now();

export async function enrollTestDevice(cp: TestControlPlane, hostname: string): Promise<TestDevice> {
  const { token } = await createEnrollmentToken(cp.db, { label: hostname, expiresInHours: 1, maxUses: 1 }, null);
  const enrolled = await enrollDevice(cp.db, {
    token,
    hostname,
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: "0.1.0",
  });
  const device: TestDevice = {
    deviceId: enrolled.deviceId,
    secret: enrolled.deviceSecret,
    agent: null,
    async connect() {
      device.agent = await connectAgent(cp.url, { deviceId: enrolled.deviceId, secret: enrolled.deviceSecret });
      return device.agent;
    },
    async report(overrides) {
      if (!device.agent) throw new Error("connect first");
      // Strictly increasing sample times, so the hub always takes the new one as the latest.
      tsBase += 1000;
      const ack = (await device.agent.emitWithAck("telemetry:report", { samples: [sample(tsBase, overrides)] })) as {
        ok: boolean;
      };
      if (!ack.ok) throw new Error(`telemetry refused: ${JSON.stringify(ack)}`);
    },
    disconnect() {
      device.agent?.close();
      device.agent = null;
    },
  };
  return device;
}
