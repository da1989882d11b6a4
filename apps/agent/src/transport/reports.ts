import {
  type Ack,
  type AgentToServerEvents,
  ackSchema,
  type InventoryInput,
  type ModelStatus,
  type RunProgress,
  runCancelSchema,
  runProgressSchema,
  runStartSchema,
  type ServerToAgentEvents,
  type TelemetrySample,
  telemetrySampleSchema,
} from "@labfleet/protocol";
import type { Socket } from "socket.io-client";
import { z } from "zod";
import type { Sampler } from "../collectors/sampler.ts";
import type { Logger } from "../logger.ts";
import type { WorkloadHost } from "../workloads/types.ts";

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

// The protocol types this ack inline in its event map; it has no exported schema.
const inventoryAckSchema = ackSchema(z.object({ changed: z.boolean() }));
const storedAckSchema = ackSchema(z.object({ stored: z.number() }));
/** The protocol caps one models:status report at 200 entries. */
const MAX_STATUSES_PER_REPORT = 200;
/** After a models:status that went unanswered, the whole list is sent again this much later. */
const STATUS_RESEND_MS = 5_000;

export interface ReportContext {
  log: Logger;
  ackTimeoutMs: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Emits the inventory and logs the server's answer. Resolves true when the server stored it. */
export function reportInventory(socket: AgentSocket, inventory: InventoryInput, ctx: ReportContext): Promise<boolean> {
  return socket
    .timeout(ctx.ackTimeoutMs)
    .emitWithAck("inventory:report", inventory)
    .then((res) => {
      const ack = inventoryAckSchema.safeParse(res);
      if (!ack.success) {
        ctx.log.warn("the server answered inventory:report with something unexpected");
        return false;
      }
      if (!ack.data.ok) {
        ctx.log.warn({ code: ack.data.error.code, reason: ack.data.error.message }, "the server refused the inventory");
        return false;
      }
      ctx.log.info({ changed: ack.data.data.changed }, "inventory reported");
      return true;
    })
    .catch(() => {
      ctx.log.warn({ timeoutMs: ctx.ackTimeoutMs }, "no answer to inventory:report");
      return false;
    });
}

/** A sample that passes the protocol's schema, or null (logged) when the sampler failed or produced garbage. */
export async function takeValidSample(sampler: Sampler, log: Logger): Promise<TelemetrySample | null> {
  let sample: unknown;
  try {
    sample = await sampler.sample();
  } catch (e) {
    log.error({ err: errText(e) }, "cannot take a telemetry sample");
    return null;
  }
  const parsed = telemetrySampleSchema.safeParse(sample);
  if (!parsed.success) {
    log.error(
      { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      "a sample failed validation; not sent",
    );
    return null;
  }
  return parsed.data;
}

/**
 * Hands every telemetry sample the agent takes, online or not, to whoever listens (the run manager, which
 * summarises the hardware during a run). A listener that throws is logged and does not stop the others.
 */
export class SampleFeed {
  private readonly listeners = new Set<{ fn: (sample: TelemetrySample) => void }>();

  constructor(private readonly log: Logger) {}

  subscribe(fn: (sample: TelemetrySample) => void): () => void {
    const entry = { fn };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  publish(sample: TelemetrySample): void {
    for (const { fn } of this.listeners) {
      try {
        fn(sample);
      } catch (e) {
        this.log.error({ err: errText(e) }, "a telemetry sample listener failed");
      }
    }
  }
}

const statusKey = (s: { deploymentId: string; versionId: string }) => `${s.deploymentId}/${s.versionId}`;

/**
 * Keeps the latest state of every desired model version and sends it: each change at once while online, the
 * whole list again on every connect (the server may have missed changes while the device was away), and again
 * a little later when a report went unanswered.
 */
export class ModelStatusReporter {
  private readonly latest = new Map<string, ModelStatus>();
  private socket: AgentSocket | null = null;
  private resendTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ReportContext) {}

  /** Online: sends the full list. */
  attach(socket: AgentSocket): void {
    this.socket = socket;
    this.send([...this.latest.values()]);
  }

  detach(): void {
    this.socket = null;
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
  }

  report(statuses: readonly ModelStatus[]): void {
    for (const s of statuses) this.latest.set(statusKey(s), s);
    this.send(statuses);
  }

  /** Forgets versions the server no longer wants: they are not reported any more. */
  retain(desired: ReadonlyArray<{ deploymentId: string; versionId: string }>): void {
    const keep = new Set(desired.map(statusKey));
    for (const k of this.latest.keys()) if (!keep.has(k)) this.latest.delete(k);
  }

  private send(statuses: readonly ModelStatus[]): void {
    const socket = this.socket;
    if (!socket || statuses.length === 0) return;
    for (let i = 0; i < statuses.length; i += MAX_STATUSES_PER_REPORT) {
      const models = statuses.slice(i, i + MAX_STATUSES_PER_REPORT);
      void socket
        .timeout(this.ctx.ackTimeoutMs)
        .emitWithAck("models:status", { models })
        .then((res) => {
          const ack = storedAckSchema.safeParse(res);
          if (ack.success && ack.data.ok) return;
          const why = ack.success && !ack.data.ok ? ack.data.error : { code: "UNEXPECTED", message: "bad answer" };
          this.ctx.log.warn({ code: why.code, reason: why.message }, "the server refused a models:status report");
          // A payload it refuses as such will not pass later either.
          if (why.code !== "BAD_REQUEST") this.resendLater(socket);
        })
        .catch(() => {
          this.ctx.log.warn({ timeoutMs: this.ctx.ackTimeoutMs }, "no answer to models:status");
          this.resendLater(socket);
        });
    }
  }

  private resendLater(socket: AgentSocket): void {
    if (socket !== this.socket || this.resendTimer !== undefined) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      if (socket === this.socket) this.send([...this.latest.values()]);
    }, STATUS_RESEND_MS);
  }
}

/** Sends live run progress; dropped when offline or unanswered (the result goes through the buffer). */
export function reportRunProgress(socket: AgentSocket | null, p: RunProgress, ctx: ReportContext): void {
  if (!socket) return;
  const parsed = runProgressSchema.safeParse(p);
  if (!parsed.success) {
    ctx.log.error({ runId: p.runId }, "a run progress report failed validation; not sent");
    return;
  }
  void socket
    .timeout(ctx.ackTimeoutMs)
    .emitWithAck("run:progress", parsed.data)
    .catch(() => ctx.log.debug({ runId: p.runId }, "no answer to run:progress"));
}

/** The answer to a `run:start`: parsed at the edge, then accepted or refused by the workload host. */
export function answerRunStart(payload: unknown, host: WorkloadHost | null, log: Logger): Ack<{ accepted: true }> {
  const parsed = runStartSchema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    log.warn({ problems }, "refused an invalid run:start");
    return { ok: false, error: { code: "BAD_REQUEST", message: `Invalid run:start: ${problems}`.slice(0, 500) } };
  }
  if (!host) return { ok: false, error: { code: "INTERNAL", message: "This agent does not run workloads." } };
  try {
    return host.start(parsed.data);
  } catch (e) {
    log.error({ runId: parsed.data.runId, err: errText(e) }, "the workload host failed to start a run");
    return { ok: false, error: { code: "INTERNAL", message: "The agent could not start the run." } };
  }
}

/** Handles a `run:cancel`; an invalid one is logged and ignored. */
export function handleRunCancel(payload: unknown, host: WorkloadHost | null, log: Logger): void {
  const parsed = runCancelSchema.safeParse(payload);
  if (!parsed.success) {
    log.warn("ignored an invalid run:cancel from the server");
    return;
  }
  host?.cancel(parsed.data.runId);
}
