"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useCallback } from "react";
import { type GroupRun, toMs } from "@/components/models/api-types";
import { GroupTable } from "@/components/runs/group-table";
import { describeSpec, isActive } from "@/components/runs/run-meta";
import { ThroughputChart } from "@/components/runs/throughput-chart";
import { useLiveRuns } from "@/components/runs/use-live-runs";
import { BackLink } from "@/components/ui/back-link";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

export default function RunGroupPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const live = useLiveRuns(useCallback((e: { groupId: string | null }) => e.groupId === id, [id]));
  const data = useQuery({
    ...trpc.run.group.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.runs.some((r) => isActive(r.status)) ? 5_000 : false),
  });

  if (data.error) {
    return (
      <div>
        <BackLink href="/runs" label="All runs" />
        <ErrorNotice testId="group-error">
          {errorCode(data.error) === "NOT_FOUND" ? "This room benchmark does not exist." : errorMessage(data.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!data.data) {
    return (
      <div>
        <BackLink href="/runs" label="All runs" />
        <Loading label="Loading the room benchmark…" />
      </div>
    );
  }
  const group = data.data;
  const runs: GroupRun[] = group.runs;
  const labName = group.labName;
  const running = runs.filter((r) => isActive(r.status)).length;
  const flagged = runs.filter((r) => r.flags?.throttled || r.flags?.hot).length;
  const created = toMs(group.createdAt);
  const finishedIds = runs
    .filter((r) => r.status === "succeeded")
    .map((r) => r.id)
    .slice(0, 10);
  return (
    <div className="space-y-5">
      <div>
        <BackLink href="/runs" label="All runs" />
        <h1 className="text-xl font-semibold text-slate-900">Room benchmark{labName ? ` · ${labName}` : ""}</h1>
        <p className="mt-1 text-sm text-slate-600">
          <Link href={`/models/${group.version.model.id}`} className="text-sky-700 hover:underline">
            {group.version.model.name} · {group.version.variant}
          </Link>{" "}
          · {describeSpec(group.spec)}
          {created !== null && ` · ${formatDateTime(created)}`}
        </p>
        <p className="mt-1 text-sm text-slate-600" data-testid="group-summary">
          {runs.length} {runs.length === 1 ? "device" : "devices"}
          {running > 0 ? ` · ${running} still running` : " · all finished"}
          {flagged > 0 && ` · ${flagged} throttled or ran hot (marked in amber)`}
        </p>
      </div>
      {runs.length === 0 ? (
        <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
          No device took part: none of the lab's devices was online.
        </p>
      ) : (
        <>
          <Card
            title="Throughput by device"
            actions={
              finishedIds.length >= 2 && (
                <Link
                  href={`/runs/compare?ids=${finishedIds.join(",")}`}
                  className="text-sm text-sky-700 hover:underline"
                  data-testid="group-compare"
                >
                  Compare side by side
                </Link>
              )
            }
          >
            <ThroughputChart runs={runs} />
          </Card>
          <GroupTable runs={runs} live={live} />
        </>
      )}
    </div>
  );
}
