import type { AlertKind, AlertState } from "@labfleet/protocol";
import type { Tone } from "@/components/ui/badge";

export const KIND_LABEL: Record<AlertKind, string> = {
  cpu_temp: "CPU temperature",
  throttling: "Throttling",
  offline: "Offline",
  disk_full: "Disk full",
  memory_high: "Memory high",
  workload_failed: "Workload failed",
};

/** The unit of a rule's threshold, where the kind has one. */
export const KIND_UNIT: Partial<Record<AlertKind, string>> = { cpu_temp: "°C", disk_full: "%", memory_high: "%" };

export const STATE_LABEL: Record<AlertState, string> = {
  firing: "Firing",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
};

export const STATE_TONE: Record<AlertState, Tone> = { firing: "red", acknowledged: "amber", resolved: "neutral" };
