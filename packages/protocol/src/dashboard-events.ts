import { z } from "zod";
import type { AlertSummary } from "./alerts.ts";
import { epochMsSchema } from "./common.ts";
import type { Ack } from "./errors.ts";
import type { Lab, LabChanged, LabSubscribe, Seat } from "./labs.ts";
import type { RunProgress, RunStatus } from "./models.ts";
import { type TelemetrySample, telemetrySampleSchema } from "./telemetry.ts";

/** socket.io namespace for browsers; authenticated by the session cookie. */
export const DASHBOARD_NAMESPACE = "/dashboard";

export const deviceStatusSchema = z.enum(["online", "offline", "revoked"]);
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

/**
 * The few fields of a device's latest sample that a tile, the fleet table and the room map show: about a tenth of
 * the whole sample, which goes only to a browser that watches the device (its snapshot, `telemetry:sampled`). A fleet
 * page of 5,000 devices gets one of these per device per second.
 */
export const sampleDigestSchema = telemetrySampleSchema.pick({
  ts: true,
  cpuLoadPct: true,
  memUsedBytes: true,
  memTotalBytes: true,
  cpuTempC: true,
  throttling: true,
});
export type SampleDigest = z.infer<typeof sampleDigestSchema>;

export function sampleDigest(s: TelemetrySample): SampleDigest {
  return {
    ts: s.ts,
    cpuLoadPct: s.cpuLoadPct,
    memUsedBytes: s.memUsedBytes,
    memTotalBytes: s.memTotalBytes,
    cpuTempC: s.cpuTempC,
    throttling: s.throttling,
  };
}

/** What a device tile shows. Sent as a snapshot on subscribe and again on every change. */
export const deviceSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  hostname: z.string(),
  labId: z.string().nullable(),
  status: deviceStatusSchema,
  lastSeenAt: epochMsSchema.nullable(),
  simulated: z.boolean(),
  latest: sampleDigestSchema.nullable(),
});
export type DeviceSummary = z.infer<typeof deviceSummarySchema>;

export const fleetSubscribeSchema = z.object({});
export const deviceSubscribeSchema = z.object({ deviceId: z.string().min(1).max(64) });
export type DeviceSubscribe = z.infer<typeof deviceSubscribeSchema>;

export interface DeviceSnapshot {
  device: DeviceSummary;
  /** The most recent samples, oldest first, for the live chart. */
  recent: TelemetrySample[];
}

/** A lab's room map: its grid, its seats, and the summaries of the lab's devices (placed or not). */
export interface LabSnapshot {
  lab: Lab;
  seats: Seat[];
  devices: DeviceSummary[];
}

/** Events a browser emits; each is answered with an ack carrying the current snapshot. */
export interface DashboardToServerEvents {
  "fleet:subscribe": (payload: Record<string, never>, ack: (res: Ack<DeviceSummary[]>) => void) => void;
  "fleet:unsubscribe": (payload: Record<string, never>, ack: (res: Ack<null>) => void) => void;
  "device:subscribe": (payload: DeviceSubscribe, ack: (res: Ack<DeviceSnapshot>) => void) => void;
  "device:unsubscribe": (payload: DeviceSubscribe, ack: (res: Ack<null>) => void) => void;
  /** Joins the lab's room: `device:updated` and `devices:updated` for its devices, `lab:changed` when its layout changes. */
  "lab:subscribe": (payload: LabSubscribe, ack: (res: Ack<LabSnapshot>) => void) => void;
  "lab:unsubscribe": (payload: LabSubscribe, ack: (res: Ack<null>) => void) => void;
}

export interface TelemetrySampled {
  deviceId: string;
  sample: TelemetrySample;
}

/** Broadcasts to browsers (past tense: something happened). */
export interface ServerToDashboardEvents {
  /** A device's summary changed: came online, went offline, renamed, revoked, moved. */
  "device:updated": (payload: DeviceSummary) => void;
  /**
   * The summaries of devices that sent new samples, gathered over a fraction of a second (status changes come at
   * once as `device:updated`). Each summary is the newest one of its device at the time of sending.
   */
  "devices:updated": (payload: DevicesUpdated) => void;
  "device:removed": (payload: { id: string }) => void;
  /** A new sample of a device that this browser watches in detail. */
  "telemetry:sampled": (payload: TelemetrySampled) => void;
  /** A watched lab's seats or devices changed (placement, resize, rename): ask for a new snapshot. */
  "lab:changed": (payload: LabChanged) => void;
  /** An alert fired, was acknowledged or resolved; sent to every dashboard socket (all are staff). */
  "alert:updated": (payload: AlertSummary) => void;
  /** A deployment or one of its devices changed state; sent to staff sockets. Ask for the new state. */
  "deployment:updated": (payload: DeploymentUpdated) => void;
  /** A run was queued, progressed or finished; sent to staff sockets and to the student whose run it is. */
  "run:updated": (payload: RunUpdated) => void;
  /**
   * A lab session changed: started, ended, a check-in or check-out, a hand raised, lowered or answered. Sent to
   * staff sockets and to the session's students; ask for the session again (what each may see is the API's call).
   */
  "session:updated": (payload: SessionUpdated) => void;
}

export interface DevicesUpdated {
  devices: DeviceSummary[];
}

export interface SessionUpdated {
  sessionId: string;
}

export interface DeploymentUpdated {
  deploymentId: string;
  /** The device whose state changed, or null when the deployment itself changed. */
  deviceId: string | null;
}

export interface RunUpdated {
  runId: string;
  groupId: string | null;
  deviceId: string;
  status: RunStatus;
  progress: RunProgress | null;
}
