"use client";

import type { RouterOutputs } from "@labfleet/api/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { SecretBox } from "./secret-box";
import { WebhookForm } from "./webhook-form";

type Hook = RouterOutputs["webhook"]["list"][number];

const SIGNING_HELP =
  "Each POST carries X-LabFleet-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with this secret>.";

export function WebhooksCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.webhook.list.queryOptions());
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [formKey, setFormKey] = useState(0);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhook.pathKey() });
  const create = useMutation(
    trpc.webhook.create.mutationOptions({
      onSuccess: (h) => {
        setSecret({ name: h.name, secret: h.secret });
        setFormKey((k) => k + 1);
        void refresh();
      },
    }),
  );

  return (
    <Card title="Webhooks">
      <p className="mb-3 text-sm text-slate-500">
        Every alert that fires, is acknowledged or resolves is POSTed as JSON to each enabled webhook, retried with
        backoff for about ten minutes when the receiver fails. {SIGNING_HELP}
      </p>
      <div className="space-y-4">
        {create.error && <ErrorNotice>{errorMessage(create.error)}</ErrorNotice>}
        <WebhookForm
          key={formKey}
          idPrefix="new-webhook"
          initial={{ name: "", url: "" }}
          submitLabel="Add webhook"
          busy={create.isPending}
          onSubmit={(v) => create.mutate({ ...v, enabled: true })}
        />
        {secret && (
          <SecretBox
            title={`Signing secret of "${secret.name}"`}
            secret={secret.secret}
            testId="webhook-secret"
            onDismiss={() => setSecret(null)}
          />
        )}
        {hooks.error ? (
          <ErrorNotice>{errorMessage(hooks.error)}</ErrorNotice>
        ) : !hooks.data ? (
          <Loading />
        ) : hooks.data.length === 0 ? (
          <p className="text-sm text-slate-500">No webhooks yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-md ring-1 ring-slate-200">
            {hooks.data.map((h) => (
              <WebhookItem key={h.id} hook={h} onSecret={(s) => setSecret({ name: h.name, secret: s })} />
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}

function WebhookItem({ hook, onSecret }: { hook: Hook; onSecret: (secret: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhook.pathKey() });
  const update = useMutation(
    trpc.webhook.update.mutationOptions({
      onSuccess: () => {
        setEditing(false);
        void refresh();
      },
    }),
  );
  const test = useMutation(trpc.webhook.test.mutationOptions({ onSettled: refresh }));
  const rotate = useMutation(trpc.webhook.rotateSecret.mutationOptions({ onSuccess: (r) => onSecret(r.secret) }));
  const remove = useMutation(trpc.webhook.delete.mutationOptions({ onSuccess: refresh }));
  const error = update.error ?? test.error ?? rotate.error;

  return (
    <li className="space-y-2 p-3" data-testid="webhook-row">
      {editing ? (
        <WebhookForm
          idPrefix={`edit-${hook.id}`}
          initial={{ name: hook.name, url: hook.url }}
          submitLabel="Save"
          busy={update.isPending}
          onSubmit={(v) => update.mutate({ id: hook.id, ...v, enabled: hook.enabled })}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <div className="flex flex-wrap items-center gap-3">
          <div className="min-w-0 flex-1">
            <div className="flex items-center gap-2 font-medium text-slate-900">
              {hook.name}
              {!hook.enabled && <Badge>Paused</Badge>}
            </div>
            <div className="truncate font-mono text-xs text-slate-500">{hook.url}</div>
          </div>
          <Button
            size="sm"
            data-testid="webhook-test"
            disabled={test.isPending}
            onClick={() => test.mutate({ id: hook.id })}
          >
            {test.isPending ? "Sending…" : "Send a test"}
          </Button>
          <Button
            size="sm"
            disabled={update.isPending}
            onClick={() => update.mutate({ id: hook.id, name: hook.name, url: hook.url, enabled: !hook.enabled })}
          >
            {hook.enabled ? "Pause" : "Resume"}
          </Button>
          <Button size="sm" onClick={() => setEditing(true)}>
            Edit
          </Button>
          <Button size="sm" disabled={rotate.isPending} onClick={() => rotate.mutate({ id: hook.id })}>
            New secret
          </Button>
          <Button size="sm" variant="danger" onClick={() => setDeleting(true)}>
            Delete
          </Button>
        </div>
      )}
      {test.data && (
        <p
          className={test.data.status === "delivered" ? "text-sm text-emerald-800" : "text-sm text-red-700"}
          data-testid="webhook-test-result"
          role="status"
        >
          {test.data.status === "delivered"
            ? `Test delivered (HTTP ${test.data.responseStatus}).`
            : `Test failed: ${test.data.lastError ?? "no answer"}`}
        </p>
      )}
      {error && <ErrorNotice>{errorMessage(error)}</ErrorNotice>}
      <ConfirmDialog
        open={deleting}
        title={`Delete "${hook.name}"?`}
        confirmLabel="Delete webhook"
        busy={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ id: hook.id })}
        onCancel={() => setDeleting(false)}
      >
        It stops receiving alerts at once, and its delivery log goes with it.
      </ConfirmDialog>
    </li>
  );
}
