"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { NewTokenBox } from "@/components/tokens/new-token-box";
import { type CreatedToken, TokenForm } from "@/components/tokens/token-form";
import { TokensTable } from "@/components/tokens/tokens-table";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export default function TokensPage() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.enrollmentToken.list.queryOptions());
  const [created, setCreated] = useState<CreatedToken | null>(null);

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold text-slate-900">Enrollment tokens</h1>
        <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
          A token lets mini PCs join LabFleet. One token can enroll a whole room; give it a short life and as many uses
          as you have machines.
        </p>
      </div>

      <Card title="New token">
        <TokenForm onCreated={setCreated} />
      </Card>

      {created && <NewTokenBox created={created} onDismiss={() => setCreated(null)} />}

      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title" className="mb-3 text-sm font-semibold text-slate-800">
          Tokens
        </h2>
        {tokens.error ? (
          <ErrorNotice>{errorMessage(tokens.error)}</ErrorNotice>
        ) : !tokens.data ? (
          <Loading label="Loading tokens…" />
        ) : tokens.data.length === 0 ? (
          <p
            className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200"
            data-testid="tokens-empty"
          >
            No tokens yet. Create one above, then run the command it shows on each mini PC.
          </p>
        ) : (
          <TokensTable tokens={tokens.data} />
        )}
      </section>
    </div>
  );
}
