"use client";

import { useQuery } from "@tanstack/react-query";
import { AuditLog } from "@/components/settings/audit-log";
import { DeliveriesTable } from "@/components/settings/deliveries-table";
import { MetricsCard } from "@/components/settings/metrics-card";
import { PeopleCard } from "@/components/settings/people-card";
import { RulesEditor } from "@/components/settings/rules-editor";
import { WebhooksCard } from "@/components/settings/webhooks-card";
import { Loading } from "@/components/ui/notice";
import { useTRPC } from "@/lib/trpc";

export default function SettingsPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const isAdmin = me.data?.role === "admin";
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold text-slate-900">Settings</h1>
        <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
          When alerts fire, where they are sent, and how a monitoring system reads the fleet.
        </p>
      </div>
      {!me.data ? (
        <Loading />
      ) : (
        <>
          <RulesEditor />
          {isAdmin ? (
            <>
              <PeopleCard />
              <WebhooksCard />
              <DeliveriesTable />
              <MetricsCard />
              <AuditLog />
            </>
          ) : (
            <p className="text-sm text-slate-500">Webhooks and the metrics token are managed by an admin.</p>
          )}
        </>
      )}
    </div>
  );
}
