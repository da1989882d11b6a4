"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useCallback } from "react";
import { toMs } from "@/components/models/api-types";
import { EnvironmentCard } from "@/components/runs/environment-card";
import { EvaluationTable } from "@/components/runs/evaluation-table";
import { ResultView } from "@/components/runs/result-view";
import { asResult, describeSpec, isActive, runStatusOf } from "@/components/runs/run-meta";
import { RunStatusPanel } from "@/components/runs/run-status-panel";
import { useLiveRuns } from "@/components/runs/use-live-runs";
import { BackLink } from "@/components/ui/back-link";
import { Badge } from "@/components/ui/badge";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

export default function RunPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const live = useLiveRuns(useCallback((e: { runId: string }) => e.runId === id, [id]));
  const run = useQuery({
    ...trpc.run.get.queryOptions({ id }),
    // The broadcast makes it live; the poll covers a tab whose socket is down.
    refetchInterval: (q) => (q.state.data && isActive(q.state.data.status) ? 5_000 : false),
  });

  const modelId = run.data?.version.model.id;
  const model = useQuery({ ...trpc.model.get.queryOptions({ id: modelId ?? "" }), enabled: modelId !== undefined });
  const catalogFiles = model.data?.versions.find((v) => v.id === run.data?.version.id)?.files;
  const expectedSha256 = catalogFiles ? new Map(catalogFiles.map((f) => [f.name, f.sha256])) : undefined;

  if (run.error) {
    return (
      <div>
        <BackLink href="/runs" label="All runs" />
        <ErrorNotice testId="run-error">
          {errorCode(run.error) === "NOT_FOUND" ? "This run does not exist." : errorMessage(run.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!run.data) {
    return (
      <div>
        <BackLink href="/runs" label="All runs" />
        <Loading label="Loading the run…" />
      </div>
    );
  }
  const r = run.data;
  const s = runStatusOf(r.status);
  const result = asResult(r.result);
  const started = toMs(r.startedAt) ?? toMs(r.createdAt);
  const finished = toMs(r.finishedAt);
  return (
    <div className="space-y-5">
      <div>
        <BackLink href="/runs" label="All runs" />
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 className="text-xl font-semibold text-slate-900">
              {r.kind === "evaluation" ? "Evaluation" : "Benchmark"} of{" "}
              <Link href={`/models/${r.version.model.id}`} className="text-sky-700 hover:underline">
                {r.version.model.name} · {r.version.variant}
              </Link>{" "}
              on{" "}
              <Link href={`/devices/${r.deviceId}`} className="text-sky-700 hover:underline">
                {r.deviceName}
              </Link>
            </h1>
            <div className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-600">
              <Badge tone={s.tone} data-testid="run-status" data-status={r.status}>
                {s.label}
              </Badge>
              <span data-testid="run-spec">{describeSpec(r.spec)}</span>
              {started !== null && <span>· {formatDateTime(started)}</span>}
              {started !== null && finished !== null && (
                <span>· took {((finished - started) / 1_000).toFixed(1)} s</span>
              )}
            </div>
          </div>
          <Link href={`/runs?deviceId=${r.deviceId}`} className="text-sm text-sky-700 hover:underline">
            Other runs on this device
          </Link>
        </div>
      </div>
      <RunStatusPanel run={r} live={live.get(r.id) ?? null} />
      {result && (
        <>
          <ResultView result={result} />
          {result.evaluation && <EvaluationTable items={result.evaluation} accuracy={result.accuracy} />}
          <EnvironmentCard env={result.env} signatureValid={r.signatureValid} expectedSha256={expectedSha256} />
        </>
      )}
      {!result && !isActive(r.status) && r.status === "succeeded" && (
        <ErrorNotice>The run finished but its result is missing.</ErrorNotice>
      )}
    </div>
  );
}
