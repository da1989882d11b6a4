"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { CreateLabForm } from "@/components/labs/lab-form";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export default function LabsPage() {
  const trpc = useTRPC();
  const labs = useQuery(trpc.lab.list.queryOptions());
  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold text-slate-900">Labs</h1>
      <Card title="New lab">
        <CreateLabForm />
      </Card>
      {labs.error ? (
        <ErrorNotice>{errorMessage(labs.error)}</ErrorNotice>
      ) : !labs.data ? (
        <Loading label="Loading labs…" />
      ) : labs.data.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="labs-empty">
          No labs yet. Create one for each room: its seat grid becomes a live map of the machines in it.
        </p>
      ) : (
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Labs">
          {labs.data.map((lab) => (
            <li key={lab.id}>
              <Link
                href={`/labs/${encodeURIComponent(lab.id)}`}
                data-testid={`lab-${lab.id}`}
                className="block rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200 hover:ring-sky-300"
              >
                <h2 className="font-medium text-slate-900">{lab.name}</h2>
                <p className="mt-1 text-sm text-slate-600">
                  {lab.rows} × {lab.cols} seats · {lab.deviceCount} {lab.deviceCount === 1 ? "device" : "devices"} ·{" "}
                  {lab.placedCount} placed
                </p>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
