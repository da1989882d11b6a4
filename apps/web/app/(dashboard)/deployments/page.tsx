"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DeploymentsTable } from "@/components/deployments/deployments-table";
import { useLiveDeployments } from "@/components/deployments/use-live-deployments";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export default function DeploymentsPage() {
  const trpc = useTRPC();
  useLiveDeployments();
  const list = useQuery(trpc.deployment.list.queryOptions({}));
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold text-slate-900">Deployments</h1>
        <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
          Every model version put on a lab, a set of devices or a tag. Start one from a model's page.
        </p>
      </div>
      {list.error ? (
        <ErrorNotice>{errorMessage(list.error)}</ErrorNotice>
      ) : !list.data ? (
        <Loading label="Loading deployments…" />
      ) : list.data.length === 0 ? (
        <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
          Nothing deployed yet. Open a model in the{" "}
          <Link href="/models" className="text-sky-700 hover:underline">
            catalog
          </Link>{" "}
          and choose Deploy.
        </p>
      ) : (
        <DeploymentsTable deployments={list.data} showModel />
      )}
    </div>
  );
}
