"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import {
  describeStrategy,
  describeTarget,
  isLive,
  parseStrategy,
  statusOf,
} from "@/components/deployments/deployment-meta";
import { DeviceStates } from "@/components/deployments/device-states";
import { useLabNames } from "@/components/deployments/use-lab-names";
import { useLiveDeployments } from "@/components/deployments/use-live-deployments";
import { toMs } from "@/components/models/api-types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorNotice, InfoNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

function BackLink({ modelId }: { modelId?: string }) {
  return (
    <Link
      href={modelId ? `/models/${modelId}` : "/deployments"}
      className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800"
    >
      ← {modelId ? "The model" : "All deployments"}
    </Link>
  );
}

export default function DeploymentPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useLiveDeployments(id);
  const labName = useLabNames();
  const deployment = useQuery({
    ...trpc.deployment.get.queryOptions({ id }),
    // The broadcast makes it live; the poll covers a tab whose socket is down while devices still move.
    refetchInterval: (q) => (q.state.data?.status === "rolling_out" ? 5_000 : false),
  });
  const [confirm, setConfirm] = useState<"rollback" | "remove" | null>(null);
  const onSettled = () => queryClient.invalidateQueries({ queryKey: trpc.deployment.pathKey() });
  const rollback = useMutation(
    trpc.deployment.rollback.mutationOptions({ onSuccess: () => setConfirm(null), onSettled }),
  );
  const remove = useMutation(trpc.deployment.remove.mutationOptions({ onSuccess: () => setConfirm(null), onSettled }));

  if (deployment.error) {
    return (
      <div>
        <BackLink />
        <ErrorNotice testId="deployment-error">
          {errorCode(deployment.error) === "NOT_FOUND"
            ? "This deployment does not exist."
            : errorMessage(deployment.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!deployment.data) {
    return (
      <div>
        <BackLink />
        <Loading label="Loading the deployment…" />
      </div>
    );
  }
  const d = deployment.data;
  const s = statusOf(d.status);
  const strategy = parseStrategy(d.strategy);
  const live = isLive(d.status);
  const busy = rollback.isPending || remove.isPending;
  const created = toMs(d.createdAt);
  return (
    <div className="space-y-5">
      <div>
        <BackLink modelId={d.version.model.id} />
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 className="text-xl font-semibold text-slate-900">
              {d.version.model.name} · {d.version.variant}
            </h1>
            <div className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-600">
              <Badge tone={s.tone} data-testid="deployment-status" data-status={d.status}>
                {s.label}
              </Badge>
              <span>{describeTarget(d.target, labName)}</span>
              <span>·</span>
              <span>{describeStrategy(d.strategy)}</span>
              {strategy.waves > 1 && (
                <span data-testid="deployment-wave">
                  · wave {Math.min(d.currentWave + 1, strategy.waves)} of {strategy.waves}
                </span>
              )}
              {created !== null && <span>· {formatDateTime(created)}</span>}
            </div>
          </div>
          <div className="flex gap-2">
            <Button
              onClick={() => setConfirm("rollback")}
              disabled={!live || busy}
              data-testid="deployment-rollback"
              title="Put the previous version of this target back"
            >
              Roll back
            </Button>
            <Button
              variant="danger"
              onClick={() => setConfirm("remove")}
              disabled={!live || busy}
              data-testid="deployment-remove"
            >
              Remove
            </Button>
          </div>
        </div>
      </div>
      {d.statusReason && (
        <InfoNotice>
          <span data-testid="deployment-reason">{d.statusReason}</span>
        </InfoNotice>
      )}
      {d.devices.length === 0 ? (
        <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
          No device is part of this deployment.
        </p>
      ) : (
        <DeviceStates devices={d.devices} waves={strategy.waves} />
      )}
      <ConfirmDialog
        open={confirm === "rollback"}
        title="Roll back this deployment?"
        confirmLabel="Roll back"
        busy={rollback.isPending}
        error={rollback.error ? errorMessage(rollback.error) : null}
        onConfirm={() => rollback.mutate({ id })}
        onCancel={() => {
          setConfirm(null);
          rollback.reset();
        }}
      >
        The devices go back to the version this deployment replaced; where there was none, the model is removed from
        them.
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === "remove"}
        title="Remove this deployment?"
        confirmLabel="Remove"
        busy={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ id })}
        onCancel={() => {
          setConfirm(null);
          remove.reset();
        }}
      >
        The devices stop holding this version for this deployment. Results of past runs stay.
      </ConfirmDialog>
    </div>
  );
}
