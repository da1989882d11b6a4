import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentEvent,
  type AgentEventKind,
  type AgentHandshake,
  agentConfigSchema,
  credentialRotateSchema,
  type DesiredModel,
  deviceRevokedSchema,
  type InventoryInput,
  type ModelStatus,
  modelsDesiredSchema,
  type RunProgress,
  type SignedRunResult,
  type TelemetrySample,
} from "@labfleet/protocol";
import { io } from "socket.io-client";
import type { DiskBuffer } from "../buffer/disk-buffer.ts";
import type { Sampler } from "../collectors/sampler.ts";
import type { CredentialHolder } from "../config/credential.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Logger } from "../logger.ts";
import type { AgentStateFile } from "../state-file.ts";
import type { AgentLink, WorkloadHost } from "../workloads/types.ts";
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from "./backoff.ts";
import { classifyConnectError } from "./connect-error.ts";
import { InventorySync } from "./inventory-sync.ts";
import { DEFAULT_BUSY_BACKOFF, Outbox } from "./outbox.ts";
import {
  type AgentSocket,
  answerRunStart,
  handleRunCancel,
  ModelStatusReporter,
  reportRunProgress,
  SampleFeed,
  takeValidSample,
} from "./reports.ts";
import { type ConnectionEvent, type ConnectionState, nextState } from "./state-machine.ts";
import { TelemetryLoop } from "./telemetry-loop.ts";

/**
 * Stores a rotated secret and answers only once it is on disk. A failed write keeps the old secret (in the file
 * and in memory) and says so, so that the server keeps accepting it.
 */
async function rotateCredential(
  payload: unknown,
  credential: CredentialHolder | null,
  log: Logger,
): Promise<Ack<{ stored: true }>> {
  const parsed = credentialRotateSchema.safeParse(payload);
  if (!parsed.success)
    return { ok: false, error: { code: "BAD_REQUEST", message: "The new credential is not valid." } };
  if (!credential) {
    return { ok: false, error: { code: "CONFLICT", message: "This agent has no credential file to rotate." } };
  }
  try {
    await credential.replaceSecret(parsed.data.secret);
  } catch (e) {
    log.error(
      { err: e instanceof Error ? e.message : String(e) },
      "cannot store the rotated credential; keeping the old one",
    );
    return { ok: false, error: { code: "INTERNAL", message: "The agent could not write its credential file." } };
  }
  log.info("device credential rotated");
  return { ok: true, data: { stored: true } };
}

export const DEFAULT_TELEMETRY_INTERVAL_MS = 10_000;
/** How long a new connection waits for the server's first config before replaying with its own defaults. */
const FIRST_CONFIG_WAIT_MS = 2_000;

export interface AgentConnectionOptions {
  serverUrl: string;
  handshake: AgentHandshake;
  /** Where the device secret lives; it replaces `handshake.secret` and takes rotations. Absent: rotations are refused. */
  credential?: CredentialHolder;
  log: Logger;
  sampler: Sampler;
  collectInventory: () => Promise<InventoryInput>;
  /** The offline buffer every report goes through. */
  buffer: DiskBuffer;
  /** The agent's own buffer cap; the server's `bufferMaxBytes` overrides it while it says so. */
  bufferMaxBytes?: number;
  /** Called on every state change with the health record to persist. */
  onState?: (state: AgentStateFile) => void;
  random?: () => number;
  now?: () => number;
  backoff?: BackoffOptions;
  /** Pause after the server answers a report with BUSY. */
  busyBackoff?: BackoffOptions;
  connectTimeoutMs?: number;
  ackTimeoutMs?: number;
  /** A connection that lasted this long starts the backoff over from its first step. */
  stableAfterMs?: number;
  defaultTelemetryIntervalMs?: number;
}

type LastError = AgentStateFile["lastError"];

/** What serves the server's model and run requests (wired in commands/run.ts). */
export interface AgentWorkloads {
  models?: { setDesired(models: readonly DesiredModel[]): void };
  runs?: WorkloadHost;
}

/**
 * Drives one device's connection: connect, report inventory, stream telemetry at the interval the server
 * asks for, back off and reconnect when the server is away. socket.io's own reconnection is off so that
 * every step goes through the explicit state machine and lands in the health file.
 */
export class AgentConnection implements AgentLink {
  private state: ConnectionState = "offline";
  private since: number;
  private socket: AgentSocket | null = null;
  private attempt = 0;
  private onlineSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly telemetry: TelemetryLoop;
  private lastError: LastError = null;
  private nextRetryAt: number | null = null;
  private finishing = false;
  private resolveDone: (code: ExitCode) => void = () => {};
  private readonly done: Promise<ExitCode>;
  private readonly outbox: Outbox;
  private lastThrottling: boolean | null = null;
  private readonly inventory: InventorySync;
  /** True from connect until the first config of that connection arrives. */
  private inventoryPending = false;
  private firstConfigTimer: NodeJS.Timeout | undefined;
  private readonly samples: SampleFeed;
  private readonly modelStatus: ModelStatusReporter;
  private workloads: AgentWorkloads = {};
  private readonly o: Required<Omit<AgentConnectionOptions, "onState" | "bufferMaxBytes" | "credential">> &
    Pick<AgentConnectionOptions, "onState" | "bufferMaxBytes" | "credential">;

  constructor(options: AgentConnectionOptions) {
    this.o = {
      random: Math.random,
      now: Date.now,
      backoff: DEFAULT_BACKOFF,
      busyBackoff: DEFAULT_BUSY_BACKOFF,
      connectTimeoutMs: 10_000,
      ackTimeoutMs: 10_000,
      stableAfterMs: 30_000,
      defaultTelemetryIntervalMs: DEFAULT_TELEMETRY_INTERVAL_MS,
      ...options,
    };
    this.since = this.o.now();
    this.outbox = new Outbox({
      buffer: this.o.buffer,
      log: this.o.log,
      ackTimeoutMs: this.o.ackTimeoutMs,
      now: this.o.now,
      random: this.o.random,
      busyBackoff: this.o.busyBackoff,
    });
    this.telemetry = new TelemetryLoop(
      this.o.defaultTelemetryIntervalMs,
      () => this.sendTelemetry(),
      this.o.log,
      this.o.now,
    );
    this.inventory = new InventorySync({
      collect: this.o.collectInventory,
      log: this.o.log,
      ackTimeoutMs: this.o.ackTimeoutMs,
    });
    this.inventory.start(() => (this.state === "online" ? this.socket : null));
    this.samples = new SampleFeed(this.o.log);
    this.modelStatus = new ModelStatusReporter({ log: this.o.log, ackTimeoutMs: this.o.ackTimeoutMs });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get currentState(): ConnectionState {
    return this.state;
  }

  get telemetryIntervalMs(): number {
    return this.telemetry.intervalMs;
  }

  /** Starts sampling and connecting. Resolves with the exit code once the agent has stopped for good. */
  run(): Promise<ExitCode> {
    if (this.go("start")) {
      // Sampling runs whatever the connection does: offline samples go to the buffer as roll-ups.
      this.telemetry.start();
      this.connect();
    }
    return this.done;
  }

  /** Queues an agent event; it is buffered on disk at once and sent when the server is there. */
  reportEvent(kind: AgentEventKind, data: AgentEvent["data"] = {}): void {
    this.outbox.addEvent(kind, data);
  }

  /** Who answers `models:desired`, `run:start` and `run:cancel`; set before `run()`. */
  serve(workloads: AgentWorkloads): void {
    this.workloads = workloads;
  }

  reportModelStatus(statuses: ModelStatus[]): void {
    this.modelStatus.report(statuses);
  }

  reportRunProgress(p: RunProgress): void {
    reportRunProgress(this.onlineSocket(), p, { log: this.o.log, ackTimeoutMs: this.o.ackTimeoutMs });
  }

  /** Buffers a finished run's signed result (event run.finished); sent when the server is there. */
  reportRunResult(result: SignedRunResult): void {
    this.outbox.addRunResult(result);
  }

  /** Every telemetry sample from now on, online or not, until the returned function is called. */
  subscribeSamples(fn: (sample: TelemetrySample) => void): () => void {
    return this.samples.subscribe(fn);
  }

  private onlineSocket(): AgentSocket | null {
    return this.state === "online" ? this.socket : null;
  }

  /** What the health file records besides the connection state. */
  health(): Pick<AgentStateFile, "buffer" | "lastSendAt"> {
    const b = this.o.buffer.stats();
    return {
      buffer: { ...b, maxBytes: this.o.buffer.maxSizeBytes, dir: this.o.buffer.dir },
      lastSendAt: this.outbox.lastSuccessfulSendAt,
    };
  }

  /** Writes the health file now (the runner calls this periodically: buffer sizes change between states). */
  publishHealth(): void {
    this.o.onState?.(this.stateRecord());
  }

  /** Graceful stop (SIGINT/SIGTERM): close the socket, record `offline`, resolve with 0. */
  stop(): Promise<ExitCode> {
    this.finish(EXIT.OK);
    return this.done;
  }

  private go(event: ConnectionEvent): boolean {
    const to = nextState(this.state, event);
    if (!to) {
      this.o.log.debug({ state: this.state, event }, "ignored event in this state");
      return false;
    }
    this.o.log.debug({ from: this.state, to, event }, "connection state");
    this.state = to;
    this.since = this.o.now();
    if (to !== "backing_off") this.nextRetryAt = null;
    this.publishHealth();
    return true;
  }

  private stateRecord(): AgentStateFile {
    return {
      state: this.state,
      since: this.since,
      server: this.o.serverUrl,
      deviceId: this.o.handshake.deviceId,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      pid: process.pid,
      updatedAt: this.o.now(),
      ...this.health(),
    };
  }

  private connect(): void {
    const socket: AgentSocket = io(`${this.o.serverUrl}${AGENT_NAMESPACE}`, {
      transports: ["websocket"],
      reconnection: false,
      // Each attempt gets a fresh Manager: a cached one would keep the failed transport.
      forceNew: true,
      timeout: this.o.connectTimeoutMs,
      // Read at each attempt: a rotated secret is used from the next connection on.
      auth: { ...this.o.handshake, secret: this.o.credential?.secret ?? this.o.handshake.secret },
    });
    this.socket = socket;
    socket.on("connect", () => {
      if (socket === this.socket) void this.onConnect();
    });
    socket.on("connect_error", (err) => {
      if (socket === this.socket) this.onConnectError(err);
    });
    socket.on("disconnect", (reason) => {
      if (socket === this.socket) this.onDisconnect(reason);
    });
    socket.on("config:updated", (payload) => {
      if (socket === this.socket) this.onConfig(payload);
    });
    socket.on("models:desired", (payload) => {
      if (socket === this.socket) this.onModelsDesired(payload);
    });
    socket.on("run:start", (payload, ack) => {
      if (socket !== this.socket) return;
      const answer = answerRunStart(payload, this.workloads.runs ?? null, this.o.log);
      if (typeof ack === "function") ack(answer);
    });
    socket.on("run:cancel", (payload) => {
      if (socket === this.socket) handleRunCancel(payload, this.workloads.runs ?? null, this.o.log);
    });
    socket.on("credential:rotate", (payload, ack) => {
      if (socket !== this.socket || typeof ack !== "function") return;
      void rotateCredential(payload, this.o.credential ?? null, this.o.log).then(ack);
    });
    socket.on("device:revoked", (payload) => {
      if (socket !== this.socket) return;
      const parsed = deviceRevokedSchema.safeParse(payload);
      const reason = parsed.success ? parsed.data.reason : "no reason given";
      this.o.log.error({ reason }, "the server revoked this device; enroll it again to bring it back");
      this.finish(EXIT.CREDENTIAL_REFUSED, { code: "DEVICE_REVOKED", message: reason, at: this.o.now() });
    });
  }

  private async onConnect(): Promise<void> {
    if (!this.go("connected")) return;
    this.onlineSince = this.o.now();
    // Until the server says otherwise (it does right after connect): it is the authority on the rate.
    this.telemetry.setIntervalMs(this.o.defaultTelemetryIntervalMs);
    this.o.log.info({ server: this.o.serverUrl }, "connected");
    // The server may have missed state changes while the device was away: it gets the whole list again.
    if (this.socket) this.modelStatus.attach(this.socket);
    // Replay and the inventory wait for the server's first config (sent right after connect): it sets the batch
    // size and says which inventory the server already holds. A server that sends none is not waited for long.
    this.inventoryPending = true;
    clearTimeout(this.firstConfigTimer);
    this.firstConfigTimer = setTimeout(() => this.afterFirstConfig(undefined), FIRST_CONFIG_WAIT_MS);
    // A fresh immediate sample: the dashboard sees the device live at once, not an interval later.
    this.telemetry.start();
  }

  private onModelsDesired(payload: unknown): void {
    const parsed = modelsDesiredSchema.safeParse(payload);
    if (!parsed.success) {
      this.o.log.warn({ issues: parsed.error.issues.length }, "ignored an invalid models:desired from the server");
      return;
    }
    this.modelStatus.retain(parsed.data.models);
    this.workloads.models?.setDesired(parsed.data.models);
  }

  private onConnectError(err: Error & { data?: unknown; description?: unknown }): void {
    const failure = classifyConnectError(err);
    this.lastError = { code: failure.code, message: failure.message, at: this.o.now() };
    if (failure.fatalExitCode !== null) {
      this.o.log.error({ code: failure.code, reason: failure.message }, "the server refused this agent");
      this.finish(failure.fatalExitCode, this.lastError);
      return;
    }
    this.backOff("cannot connect to the server", { code: failure.code, reason: failure.message });
  }

  private onDisconnect(reason: string): void {
    if (this.finishing) return;
    this.outbox.detach();
    if (this.o.now() - this.onlineSince >= this.o.stableAfterMs) this.attempt = 0;
    this.lastError = { code: "DISCONNECTED", message: reason, at: this.o.now() };
    this.backOff("disconnected from the server", { reason });
  }

  private backOff(msg: string, fields: Record<string, unknown>): void {
    this.outbox.detach();
    this.modelStatus.detach();
    this.closeSocket();
    const delay = backoffDelayMs(this.attempt, this.o.random, this.o.backoff);
    this.attempt += 1;
    this.nextRetryAt = this.o.now() + delay;
    const event: ConnectionEvent = this.state === "online" ? "disconnected" : "connect_failed";
    if (!this.go(event)) return;
    this.o.log.warn({ ...fields, attempt: this.attempt, retryInMs: delay }, `${msg}; retrying`);
    this.retryTimer = setTimeout(() => {
      if (this.go("retry")) this.connect();
    }, delay);
  }

  private onConfig(payload: unknown): void {
    const parsed = agentConfigSchema.safeParse(payload);
    if (!parsed.success) {
      this.o.log.warn({ issues: parsed.error.issues.length }, "ignored an invalid config:updated from the server");
      return;
    }
    const { bufferMaxBytes, maxBatch, telemetryIntervalMs, inventoryHash, pushConfirmMs } = parsed.data;
    const cap = bufferMaxBytes ?? this.o.bufferMaxBytes;
    if (cap !== undefined && cap !== this.o.buffer.maxSizeBytes) {
      this.o.log.info({ bufferMaxBytes: cap }, "offline buffer cap changed");
      this.o.buffer.setMaxBytes(cap);
    }
    if (maxBatch !== undefined) this.outbox.maxBatch = maxBatch;
    this.afterFirstConfig(inventoryHash, pushConfirmMs);
    if (telemetryIntervalMs === this.telemetry.intervalMs) return;
    this.o.log.info({ telemetryIntervalMs: parsed.data.telemetryIntervalMs }, "telemetry interval changed");
    this.telemetry.setIntervalMs(parsed.data.telemetryIntervalMs);
  }

  /** Once per connection: start replaying the buffer (and pushing, where offered) and sync the inventory. */
  private afterFirstConfig(serverInventoryHash: string | null | undefined, pushConfirmMs?: number): void {
    clearTimeout(this.firstConfigTimer);
    const socket = this.socket;
    if (!this.inventoryPending || !socket || this.state !== "online") return;
    this.inventoryPending = false;
    this.outbox.attach(socket, pushConfirmMs);
    void this.inventory.connected(socket, serverInventoryHash);
  }

  private async sendTelemetry(): Promise<void> {
    const sample = await takeValidSample(this.o.sampler, this.o.log);
    if (!sample || this.finishing) return;
    this.samples.publish(sample);
    if (sample.throttling !== null && this.lastThrottling !== null && sample.throttling !== this.lastThrottling) {
      this.reportEvent(sample.throttling ? "throttling.started" : "throttling.stopped", {
        cpuTempC: sample.cpuTempC,
        cpuFreqMHz: sample.cpuFreqMHz,
      });
    }
    if (sample.throttling !== null) this.lastThrottling = sample.throttling;
    this.outbox.addSample(sample);
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.removeAllListeners();
    socket.disconnect();
  }

  private finish(code: ExitCode, error?: LastError): void {
    if (this.finishing) return;
    this.finishing = true;
    if (error) this.lastError = error;
    clearTimeout(this.retryTimer);
    this.telemetry.stop();
    this.inventory.stop();
    clearTimeout(this.firstConfigTimer);
    this.outbox.detach();
    this.modelStatus.detach();
    this.outbox.flushRollup();
    this.closeSocket();
    this.go("stop");
    this.resolveDone(code);
  }
}
