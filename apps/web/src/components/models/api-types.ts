import type { RouterInputs, RouterOutputs } from "@labfleet/api/client";

/** The answers of the model, deployment and run procedures, as the pages use them. */
export type ModelEntry = RouterOutputs["model"]["get"];
export type ModelVersionInfo = ModelEntry["versions"][number];
export type ModelFileInfo = ModelVersionInfo["files"][number];

export type DeploymentDetail = RouterOutputs["deployment"]["get"];
export type DeploymentSummary = RouterOutputs["deployment"]["list"][number];
export type DeploymentDeviceRow = DeploymentDetail["devices"][number];
export type DeploymentTarget = RouterInputs["deployment"]["create"]["target"];
export type DeploymentGateInput = NonNullable<NonNullable<RouterInputs["deployment"]["create"]["strategy"]>["gate"]>;

/** A run as the lists carry it (no full result). */
export type RunRow = RouterOutputs["run"]["list"][number];
/** A run with its full result (get, compare). */
export type RunDetail = RouterOutputs["run"]["get"];
export type RunGroupView = RouterOutputs["run"]["group"];
export type GroupRun = RunGroupView["runs"][number];

export interface IoTensor {
  name: string;
  type?: string | null;
  shape?: Array<number | string | null> | null;
}

/** superjson brings dates back as Date; a JSON column may still hold epoch ms or an ISO string. */
export type DateLike = Date | number | string;

export function toMs(d: DateLike | null | undefined): number | null {
  if (d == null) return null;
  if (d instanceof Date) return d.getTime();
  if (typeof d === "number") return d;
  const t = Date.parse(d);
  return Number.isNaN(t) ? null : t;
}
