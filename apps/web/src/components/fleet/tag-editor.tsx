"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { inputErrorMessage as errorMessage } from "../labs/input-error";
import { Button } from "../ui/button";
import { inputClass } from "../ui/field";
import { ErrorNotice } from "../ui/notice";

/** Adds and removes one device's tags; the server validates (lowercase words, at most 16) and answers the new list. */
export function TagEditor({
  deviceId,
  deviceName,
  tags,
  onClose,
}: {
  deviceId: string;
  deviceName: string;
  tags: readonly string[];
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState("");
  const [current, setCurrent] = useState<readonly string[]>(tags);
  const onSuccess = (res: { tags: string[] }) => {
    setCurrent(res.tags);
    return queryClient.invalidateQueries({ queryKey: trpc.device.attributes.queryKey() });
  };
  const add = useMutation(
    trpc.device.addTag.mutationOptions({
      onSuccess: (res) => {
        setDraft("");
        return onSuccess(res);
      },
    }),
  );
  const remove = useMutation(trpc.device.removeTag.mutationOptions({ onSuccess }));
  function submit(e: FormEvent) {
    e.preventDefault();
    const tag = draft.trim().toLowerCase().replace(/\s+/g, "-");
    if (tag) add.mutate({ id: deviceId, tag });
  }
  const error = add.error ?? remove.error;
  return (
    <section
      className="rounded-lg bg-white p-3 shadow-xs ring-1 ring-sky-200"
      aria-label={`Tags of ${deviceName}`}
      data-testid="tag-editor"
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-sm font-medium text-slate-800">Tags of {deviceName}:</span>
        {current.length === 0 && <span className="text-xs text-slate-500">none yet</span>}
        {current.map((t) => (
          <span
            key={t}
            className="inline-flex items-center gap-1 rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700"
          >
            {t}
            <button
              type="button"
              aria-label={`Remove tag ${t}`}
              className="text-slate-400 hover:text-red-700"
              onClick={() => remove.mutate({ id: deviceId, tag: t })}
              data-testid={`tag-remove-${t}`}
            >
              ×
            </button>
          </span>
        ))}
        <form onSubmit={submit} className="flex items-center gap-2">
          <input
            className={`${inputClass} w-40!`}
            placeholder="e.g. front-row"
            aria-label="New tag"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            data-testid="tag-input"
          />
          <Button type="submit" size="sm" disabled={add.isPending}>
            Add
          </Button>
        </form>
        <Button size="sm" variant="ghost" className="ml-auto" onClick={onClose}>
          Done
        </Button>
      </div>
      {error && <ErrorNotice className="mt-2">{errorMessage(error)}</ErrorNotice>}
    </section>
  );
}
