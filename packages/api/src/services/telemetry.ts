import {
  type DeviceSamples,
  insertTelemetry,
  insertTelemetryMany,
  latestTelemetry,
  recentTelemetry,
  UnknownDeviceError,
} from "@labfleet/db";
import type { TelemetrySample } from "@labfleet/protocol";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

export interface TelemetryWriterOptions {
  /** Statements in flight at once; reports that arrive meanwhile wait and go together in the next one. */
  maxInFlight?: number;
  /**
   * Samples waiting for a statement. Beyond it a report is refused with BUSY: the agent keeps the samples in its
   * offline buffer and sends them again, so an overload slows the fleet down instead of growing a queue here.
   */
  maxQueuedSamples?: number;
}

/** About two seconds of 5,000 devices reporting once a second. */
const DEFAULT_MAX_QUEUED_SAMPLES = 10_000;

interface Waiting extends DeviceSamples {
  samples: TelemetrySample[];
  resolve(stored: number): void;
  reject(err: unknown): void;
}

/**
 * Group commit for telemetry. Reports that arrive in the same turn of the event loop, or while earlier statements
 * are in flight, go to PostgreSQL as one statement; at low rates each report still goes at once, alone. A report's
 * promise settles only once its own samples are stored (the agent drops them from its buffer on that ack).
 */
export class TelemetryWriter {
  private queue: Waiting[] = [];
  private queuedSamples = 0;
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxQueuedSamples: number;

  constructor(
    private readonly db: Db,
    options: TelemetryWriterOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxQueuedSamples = Math.max(1, options.maxQueuedSamples ?? DEFAULT_MAX_QUEUED_SAMPLES);
  }

  /** Samples accepted and not yet in a statement. */
  get queued(): number {
    return this.queuedSamples;
  }

  /** Stores one device's samples with whatever else is waiting; resolves with how many were new. */
  store(deviceId: string, samples: TelemetrySample[]): Promise<number> {
    if (samples.length === 0) return Promise.resolve(0);
    // An empty queue takes any batch (the edge already caps its size), so a large replay is never refused forever.
    if (this.queuedSamples > 0 && this.queuedSamples + samples.length > this.maxQueuedSamples) {
      return Promise.reject(
        new AppError("BUSY", "The server is busy storing telemetry. Keep the samples and send them again shortly."),
      );
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ deviceId, samples, resolve, reject });
      this.queuedSamples += samples.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // After the poll phase: every report read from the sockets in this turn joins the statement.
    setImmediate(() => {
      this.scheduled = false;
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      void this.write(group).finally(() => {
        this.inFlight--;
        this.startStatements();
      });
    }
  }

  /** One report per device per statement, so that the new-row count of each report is its own. */
  private takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const rest: Waiting[] = [];
    const devices = new Set<string>();
    for (const w of this.queue) {
      if (devices.has(w.deviceId)) rest.push(w);
      else {
        devices.add(w.deviceId);
        group.push(w);
        this.queuedSamples -= w.samples.length;
      }
    }
    this.queue = rest;
    return group;
  }

  private async write(group: Waiting[]): Promise<void> {
    if (group.length === 1) {
      const only = group[0] as Waiting;
      await insertTelemetry(this.db.pool, only.deviceId, only.samples).then(only.resolve, (e: unknown) =>
        only.reject(unknownDevice(e)),
      );
      return;
    }
    let counts: Map<string, number>;
    try {
      counts = await insertTelemetryMany(this.db.pool, group);
    } catch {
      // One bad report must not fail the others: each goes again alone.
      await Promise.all(
        group.map((w) =>
          insertTelemetry(this.db.pool, w.deviceId, w.samples).then(w.resolve, (e: unknown) =>
            w.reject(unknownDevice(e)),
          ),
        ),
      );
      return;
    }
    // A device deleted meanwhile stored nothing; the others of its statement are answered as usual.
    for (const w of group) {
      const n = counts.get(w.deviceId);
      if (n === undefined) w.reject(deviceGone());
      else w.resolve(n);
    }
  }
}

const deviceGone = () =>
  new AppError("NOT_FOUND", "This device is no longer registered; its telemetry was not stored.");

function unknownDevice(e: unknown): unknown {
  return e instanceof UnknownDeviceError ? deviceGone() : e;
}

const writers = new WeakMap<Db, TelemetryWriter>();

/** The writer of a database handle; the first call decides its options. */
export function telemetryWriterFor(db: Db, options?: TelemetryWriterOptions): TelemetryWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new TelemetryWriter(db, options);
    writers.set(db, writer);
  }
  return writer;
}

/**
 * Stores a batch; samples already stored (a replay) are skipped. Returns how many were new. Rejects with BUSY when
 * too many samples wait for the database already.
 */
export async function storeTelemetry(db: Db, deviceId: string, samples: TelemetrySample[]): Promise<number> {
  return telemetryWriterFor(db).store(deviceId, samples);
}

export async function recentSamples(db: Db, deviceId: string, limit: number): Promise<TelemetrySample[]> {
  return recentTelemetry(db.pool, deviceId, { limit });
}

export async function latestSamples(db: Db, deviceIds: string[]): Promise<Map<string, TelemetrySample>> {
  return latestTelemetry(db.pool, deviceIds);
}
