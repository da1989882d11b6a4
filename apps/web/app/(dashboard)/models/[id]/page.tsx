"use client";

import type { RunKind } from "@labfleet/protocol";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useState } from "react";
import { DeployDialog } from "@/components/deployments/deploy-dialog";
import { DeploymentsTable } from "@/components/deployments/deployments-table";
import { useLiveDeployments } from "@/components/deployments/use-live-deployments";
import { type ModelEntry, type RunRow, toMs } from "@/components/models/api-types";
import { ModelHeader } from "@/components/models/model-header";
import { hasEvalSet } from "@/components/models/model-meta";
import { UploadForm } from "@/components/models/upload-form";
import { VersionsCompare } from "@/components/models/versions-compare";
import { RunDialog } from "@/components/runs/run-dialog";
import { RunsTable } from "@/components/runs/runs-table";
import { useLiveRuns } from "@/components/runs/use-live-runs";
import { BackLink } from "@/components/ui/back-link";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

type Dialog = { kind: "deploy" | RunKind; versionId: string; key: number } | null;

function ModelDeployments({ model }: { model: ModelEntry }) {
  const trpc = useTRPC();
  useLiveDeployments();
  const list = useQuery(trpc.deployment.list.queryOptions({}));
  const mine = (list.data ?? []).filter((d) => d.version.model.id === model.id);
  return (
    <Card title="Deployments">
      {list.error ? (
        <ErrorNotice>{errorMessage(list.error)}</ErrorNotice>
      ) : !list.data ? (
        <Loading label="Loading deployments…" />
      ) : mine.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="deployments-empty">
          Not deployed anywhere yet. Use Deploy on a version above.
        </p>
      ) : (
        <DeploymentsTable deployments={mine} />
      )}
    </Card>
  );
}

function ModelRuns({ model }: { model: ModelEntry }) {
  const trpc = useTRPC();
  const live = useLiveRuns();
  const queries = useQueries({
    queries: model.versions.map((v) => trpc.run.list.queryOptions({ versionId: v.id, limit: 25 })),
  });
  const error = queries.find((q) => q.error)?.error;
  const loading = queries.some((q) => !q.data && !q.error);
  const runs: RunRow[] = queries
    .flatMap((q) => q.data ?? [])
    .sort((a, b) => (toMs(b.createdAt) ?? 0) - (toMs(a.createdAt) ?? 0));
  return (
    <Card title="Recent runs">
      {error ? (
        <ErrorNotice>{errorMessage(error)}</ErrorNotice>
      ) : loading ? (
        <Loading label="Loading runs…" />
      ) : runs.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="model-runs-empty">
          No runs yet. Benchmark or evaluate a version on a device, or run a room-wide benchmark from a lab's page.
        </p>
      ) : (
        <RunsTable runs={runs} live={live} />
      )}
    </Card>
  );
}

export default function ModelPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const model = useQuery(trpc.model.get.queryOptions({ id }));
  const [dialog, setDialog] = useState<Dialog>(null);
  const [uploading, setUploading] = useState(false);

  if (model.error) {
    return (
      <div>
        <BackLink href="/models" label="All models" />
        <ErrorNotice testId="model-error">
          {errorCode(model.error) === "NOT_FOUND"
            ? "This model does not exist (it may have been removed)."
            : errorMessage(model.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!model.data) {
    return (
      <div>
        <BackLink href="/models" label="All models" />
        <Loading label="Loading the model…" />
      </div>
    );
  }
  const m = model.data;
  const open = (kind: "deploy" | RunKind, versionId: string) => setDialog({ kind, versionId, key: Date.now() });
  return (
    <div className="space-y-6">
      <div>
        <BackLink href="/models" label="All models" />
        <ModelHeader model={m} />
      </div>

      <section className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 className="text-sm font-semibold text-slate-800">Versions, side by side</h2>
          <Button size="sm" onClick={() => setUploading((u) => !u)} aria-expanded={uploading}>
            {uploading ? "Close" : "Upload a new version"}
          </Button>
        </div>
        {uploading && (
          <Card>
            <UploadForm models={[{ id: m.id, name: m.name }]} modelId={m.id} onDone={() => setUploading(false)} />
          </Card>
        )}
        {m.versions.length === 0 ? (
          <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
            This model has no versions.
          </p>
        ) : (
          <VersionsCompare
            versions={m.versions}
            actions={(v) => (
              <>
                <Button size="sm" variant="primary" onClick={() => open("deploy", v.id)} data-testid="version-deploy">
                  Deploy
                </Button>
                <Button size="sm" onClick={() => open("benchmark", v.id)} data-testid="version-benchmark">
                  Benchmark
                </Button>
                <Button
                  size="sm"
                  onClick={() => open("evaluation", v.id)}
                  disabled={!hasEvalSet(v)}
                  title={hasEvalSet(v) ? undefined : "This version has no evaluation set: it can only be benchmarked."}
                  data-testid="version-evaluate"
                >
                  Evaluate
                </Button>
              </>
            )}
          />
        )}
      </section>

      <ModelDeployments model={m} />
      <ModelRuns model={m} />

      {dialog?.kind === "deploy" && (
        <DeployDialog
          key={dialog.key}
          open
          versions={m.versions}
          initialVersionId={dialog.versionId}
          onClose={() => setDialog(null)}
        />
      )}
      {(dialog?.kind === "benchmark" || dialog?.kind === "evaluation") && (
        <RunDialog
          key={dialog.key}
          open
          kind={dialog.kind}
          versions={m.versions}
          initialVersionId={dialog.versionId}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}
