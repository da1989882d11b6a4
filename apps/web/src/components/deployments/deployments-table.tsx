"use client";

import Link from "next/link";
import type { DeploymentSummary } from "@/components/models/api-types";
import { toMs } from "@/components/models/api-types";
import { Badge } from "@/components/ui/badge";
import { DataTable, FRAME_CARD } from "@/components/ui/data-table";
import { formatDateTime } from "@/lib/format";
import { describeStrategy, describeTarget, statusOf } from "./deployment-meta";
import { useLabNames } from "./use-lab-names";

/** Deployments, newest first; each row opens the live page of its devices. */
export function DeploymentsTable({
  deployments,
  showModel = false,
}: {
  deployments: DeploymentSummary[];
  showModel?: boolean;
}) {
  const labName = useLabNames();
  return (
    <DataTable
      frame={FRAME_CARD}
      thClassName="px-4 py-2 font-medium"
      head={["Status", showModel ? "Model · version" : "Version", "Target", "Rollout", "Devices", "Created"]}
    >
      {deployments.map((d) => {
        const s = statusOf(d.status);
        const created = toMs(d.createdAt);
        const ready = d.devices?.filter((x) => x.state === "ready").length;
        return (
          <tr key={d.id} data-testid="deployment-row" data-status={d.status}>
            <td className="px-4 py-2.5">
              <Link href={`/deployments/${d.id}`} className="hover:underline">
                <Badge tone={s.tone}>{s.label}</Badge>
              </Link>
            </td>
            <td className="px-4 py-2.5">
              <Link href={`/deployments/${d.id}`} className="font-medium text-sky-700 hover:underline">
                {showModel ? `${d.version.model.name} · ${d.version.variant}` : d.version.variant}
              </Link>
            </td>
            <td className="px-4 py-2.5 text-slate-600">{describeTarget(d.target, labName)}</td>
            <td className="px-4 py-2.5 text-slate-600">{describeStrategy(d.strategy)}</td>
            <td className="px-4 py-2.5 text-slate-600">{d.devices ? `${ready} of ${d.devices.length} ready` : "—"}</td>
            <td className="px-4 py-2.5 whitespace-nowrap text-slate-600">
              {created === null ? "—" : formatDateTime(created)}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
