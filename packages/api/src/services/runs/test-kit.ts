// Helpers for the deployment and run tests: real rows, real enrolled devices, real socket.io agent clients.
import { createHash } from "node:crypto";
import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentEventInput,
  type InventoryInput,
  type ModelsDesired,
  PROTOCOL_VERSION,
  type RunCancel,
  type RunResult,
  type RunStartInput,
  runResultSigningText,
  type SignedRunResult,
} from "@labfleet/protocol";
import { io } from "socket.io-client";
import { sha256Hex } from "../../crypto.ts";
import type { TestControlPlane } from "../../testing/harness.ts";
import type { AgentClient } from "../../testing/sockets.ts";
import { enrollDevice } from "../device.ts";
import { createEnrollmentToken } from "../enrollment-token.ts";
import { signRunResult } from "./ingest.ts";

export const GIB = 1024 ** 3;

export function testInventory(overrides: Partial<InventoryInput> = {}): InventoryInput {
  return {
    hostname: "seat",
    system: { manufacturer: "ACME", model: "Mini 1" },
    os: { platform: "linux", distro: "Debian", release: "12", kernel: "6.1.0", arch: "x64" },
    cpu: {
      manufacturer: "Intel",
      brand: "Core i5",
      cores: 4,
      physicalCores: 4,
      speedGHz: 2.4,
      speedMaxGHz: 3.1,
      flags: ["avx2"],
    },
    memory: { totalBytes: 8 * GIB },
    disks: [],
    gpus: [],
    network: [],
    runtimes: [{ name: "onnxruntime-node", version: "1.30.0", executionProviders: ["cpu"] }],
    agent: { version: "0.1.0", nodeVersion: "v20.20.2" },
    ...overrides,
  };
}

let seq = 0;

/** A model with `variants` versions, each with two real blobs of the given sizes (the bytes are not stored). */
export async function createModel(
  cp: TestControlPlane,
  opts: { variants?: string[]; minMemoryBytes?: number; runtime?: string; fileBytes?: number } = {},
) {
  seq++;
  const model = await cp.db.prisma.model.create({
    data: { name: `Test model ${seq}`, task: "onnx-generic", origin: "uploaded" },
    select: { id: true },
  });
  const versions: { id: string; files: { sha256: string; sizeBytes: number; name: string; role: string }[] }[] = [];
  for (const variant of opts.variants ?? ["fp32"]) {
    const files = [
      { name: "model.onnx", role: "model", sizeBytes: opts.fileBytes ?? 4096 },
      { name: "eval.json", role: "eval", sizeBytes: 100 },
    ].map((f) => ({ ...f, sha256: createHash("sha256").update(`${seq}:${variant}:${f.name}`).digest("hex") }));
    for (const f of files) {
      await cp.db.prisma.blob.upsert({
        where: { sha256: f.sha256 },
        create: { sha256: f.sha256, sizeBytes: BigInt(f.sizeBytes) },
        update: {},
      });
    }
    const v = await cp.db.prisma.modelVersion.create({
      data: {
        modelId: model.id,
        variant,
        format: "onnx",
        runtime: opts.runtime ?? "onnxruntime-node",
        io: [],
        minMemoryBytes: BigInt(opts.minMemoryBytes ?? GIB),
        files: { create: files.map((f) => ({ name: f.name, role: f.role, sha256: f.sha256 })) },
      },
      select: { id: true },
    });
    versions.push({ id: v.id, files: [...files].sort((a, b) => a.name.localeCompare(b.name)) });
  }
  return { modelId: model.id, versions };
}

export interface TestDevice {
  id: string;
  secret: string;
  name: string;
}

export async function enroll(cp: TestControlPlane, name: string, labId: string | null = null): Promise<TestDevice> {
  const { token } = await createEnrollmentToken(cp.db, { label: name, expiresInHours: 1, maxUses: 1 }, null);
  const e = await enrollDevice(cp.db, {
    token,
    hostname: name,
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: "0.1.0",
  });
  await cp.db.prisma.device.update({ where: { id: e.deviceId }, data: { labId } });
  return { id: e.deviceId, secret: e.deviceSecret, name: e.name };
}

export type RunStartAnswer = Ack<{ accepted: true }> | "silent";

/**
 * A test agent: a real socket.io client with the device's credential that records what the server sends
 * (listeners attached before it connects) and answers run:start as told.
 */
export interface TestAgent {
  socket: AgentClient;
  desired: ModelsDesired[];
  starts: RunStartInput[];
  cancels: RunCancel[];
  answer: RunStartAnswer;
  close(): void;
}

export function connectTestAgent(cp: TestControlPlane, device: TestDevice): Promise<TestAgent> {
  const socket = io(`${cp.url}${AGENT_NAMESPACE}`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    auth: { protocolVersion: PROTOCOL_VERSION, agentVersion: "test", deviceId: device.id, secret: device.secret },
  }) as AgentClient;
  socket.configs = [];
  const agent: TestAgent = {
    socket,
    desired: [],
    starts: [],
    cancels: [],
    answer: { ok: true, data: { accepted: true } },
    close: () => socket.close(),
  };
  socket.on("config:updated", (c) => socket.configs.push(c));
  socket.on("models:desired", (m) => agent.desired.push(m));
  socket.on("run:cancel", (c) => agent.cancels.push(c));
  socket.on("run:start", (payload, ack) => {
    agent.starts.push(payload);
    if (agent.answer !== "silent") ack(agent.answer);
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(agent));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
    socket.connect();
  });
}

/** A complete result for a run, as an agent would build it; `p95` and friends chosen by the test. */
export function runResult(
  runId: string,
  deviceId: string,
  o: {
    status?: RunResult["status"];
    p95?: number;
    throughput?: number;
    accuracy?: number | null;
    throttledShare?: number | null;
    cpuTempCMax?: number | null;
    error?: RunResult["error"];
  } = {},
): RunResult {
  const now = Date.now();
  const p95 = o.p95 ?? 10;
  return {
    runId,
    status: o.status ?? "succeeded",
    startedAt: now - 2000,
    finishedAt: now,
    latencyMs:
      o.status === "failed"
        ? null
        : { count: 50, mean: p95 * 0.8, p50: p95 * 0.7, p90: p95 * 0.9, p95, p99: p95 * 1.2, max: p95 * 1.5 },
    throughputPerS: o.status === "failed" ? null : (o.throughput ?? 1000 / p95),
    accuracy: o.accuracy ?? null,
    evaluation: null,
    llm: null,
    system: {
      cpuLoadPctMean: 80,
      cpuTempCMax: o.cpuTempCMax ?? 60,
      freqMHzMean: 2400,
      freqMHzMax: 3100,
      throttledShare: o.throttledShare ?? 0,
      powerWMean: null,
      energyJPerInference: null,
    },
    error: o.error ?? null,
    env: {
      deviceId,
      agentVersion: "0.1.0",
      nodeVersion: "v20.20.2",
      os: "Debian 12",
      kernel: "6.1.0",
      arch: "x64",
      cpuModel: "Core i5",
      cpuCores: 4,
      memTotalBytes: 8 * GIB,
      runtime: "onnxruntime-node",
      runtimeVersion: "1.30.0",
      executionProvider: "cpu",
      threads: null,
      batchSize: 1,
      modelSha256: {},
    },
  };
}

/** Signs a result as the device does: HMAC keyed with the SHA-256 hex of its secret. */
export function sign(result: RunResult, secret: string): SignedRunResult {
  return { ...result, signature: signRunResult(sha256Hex(secret), runResultSigningText(result)) };
}

/** Sends a run.finished event with this signed result through events:report, as the agent's buffer does. */
export async function reportFinished(agent: TestAgent, signed: SignedRunResult, key = `run:${signed.runId}`) {
  const event: AgentEventInput = { key, ts: signed.finishedAt, kind: "run.finished", data: {}, result: signed };
  return (await agent.socket.emitWithAck("events:report", { events: [event] })) as Ack<{ stored: number }>;
}
