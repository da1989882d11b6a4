"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { CompareTable } from "@/components/runs/compare-table";
import { ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

/** The most runs the server compares at once. */
const MAX_COMPARE = 10;

function Compare() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const ids = [
    ...new Set(
      (params.get("ids") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ].slice(0, MAX_COMPARE);
  const runs = useQuery({ ...trpc.run.compare.queryOptions({ ids }), enabled: ids.length > 0 });
  return (
    <div className="space-y-5">
      <div>
        <Link href="/runs" className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
          ← All runs
        </Link>
        <h1 className="text-xl font-semibold text-slate-900">Compare runs</h1>
        <p className="mt-0.5 text-sm text-slate-500">
          Side by side. The best value of each row is in bold; the environment rows show what differed.
        </p>
      </div>
      {ids.length === 0 ? (
        <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
          No runs chosen. Tick runs in the{" "}
          <Link href="/runs" className="text-sky-700 hover:underline">
            list
          </Link>{" "}
          and choose Compare.
        </p>
      ) : runs.error ? (
        <ErrorNotice>{errorMessage(runs.error)}</ErrorNotice>
      ) : !runs.data ? (
        <Loading label="Loading the runs…" />
      ) : runs.data.length === 0 ? (
        <p className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200">
          None of these runs exist any more.
        </p>
      ) : (
        <CompareTable runs={runs.data} />
      )}
    </div>
  );
}

export default function ComparePage() {
  return (
    <Suspense fallback={<Loading label="Loading the runs…" />}>
      <Compare />
    </Suspense>
  );
}
