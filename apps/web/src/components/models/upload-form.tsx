"use client";

import { MAX_MODEL_FILE_BYTES } from "@labfleet/protocol";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";
import { ErrorNotice } from "@/components/ui/notice";
import { formatBytes } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { ProgressBar } from "./progress-bar";
import { checkFile, nameFromFile, startUpload, type UploadHandle } from "./upload";

interface Props {
  /** Existing models, for "add as a new version of". */
  models: Array<{ id: string; name: string }>;
  /** Preselects "new version of this model" (on a model's own page). */
  modelId?: string;
  onDone?: () => void;
}

/** Upload an ONNX or GGUF file from the browser, with a progress bar and a cancel button. */
export function UploadForm({ models, modelId, onDone }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [variant, setVariant] = useState("fp32");
  const [target, setTarget] = useState(modelId ?? "");
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ loaded: number; total: number } | null>(null);
  const handle = useRef<UploadHandle | null>(null);

  // Leaving the page stops the transfer rather than letting it run on unseen.
  useEffect(() => () => handle.current?.cancel(), []);

  function pick(f: File | null) {
    setFile(f);
    setError(f ? checkFile(f, MAX_MODEL_FILE_BYTES) : null);
    if (f && !name) setName(nameFromFile(f.name));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return setError("Choose a file first.");
    const problem = checkFile(file, MAX_MODEL_FILE_BYTES);
    if (problem) return setError(problem);
    if (!target && !name.trim()) return setError("Give the model a name.");
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(variant.trim())) {
      return setError("The variant is a short label such as fp32, fp16 or int8 (letters, digits, . _ -).");
    }
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    const h = startUpload({
      file,
      name: name.trim() || nameFromFile(file.name),
      variant: variant.trim(),
      modelId: target || null,
      onProgress: (loaded, total) => setProgress({ loaded, total }),
    });
    handle.current = h;
    const answer = await h.promise;
    handle.current = null;
    setProgress(null);
    if (!answer.ok) {
      if (answer.error.code !== "CANCELLED") setError(answer.error.message);
      return;
    }
    await queryClient.invalidateQueries({ queryKey: trpc.model.pathKey() });
    onDone?.();
    router.push(`/models/${answer.data.modelId}`);
  }

  const busy = progress !== null;
  const percent = progress && progress.total > 0 ? (progress.loaded / progress.total) * 100 : 0;
  return (
    <form onSubmit={submit} className="space-y-3" data-testid="upload-form" noValidate>
      <div>
        <label htmlFor="upload-file" className="mb-1 block text-sm font-medium text-slate-700">
          Model file (.onnx or .gguf)
        </label>
        <input
          id="upload-file"
          type="file"
          accept=".onnx,.gguf"
          disabled={busy}
          data-testid="upload-file"
          className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-1.5 file:text-sm file:font-medium"
          onChange={(e) => pick(e.target.files?.[0] ?? null)}
        />
        {file && <p className="mt-1 text-xs text-slate-500">{formatBytes(file.size)}</p>}
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Add to</span>
          <select
            className={inputClass}
            value={target}
            disabled={busy}
            onChange={(e) => setTarget(e.target.value)}
            data-testid="upload-target"
          >
            <option value="">A new model</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                New version of {m.name}
              </option>
            ))}
          </select>
        </label>
        <Field
          id="upload-name"
          label="Name"
          value={name}
          disabled={busy || target !== ""}
          maxLength={120}
          onChange={(e) => setName(e.target.value)}
          hint={target ? "The model's own name is kept." : undefined}
        />
        <Field
          id="upload-variant"
          label="Variant"
          value={variant}
          disabled={busy}
          maxLength={40}
          onChange={(e) => setVariant(e.target.value)}
          hint="fp32, fp16, int8, q4_k_m…"
        />
      </div>
      {error && <ErrorNotice testId="upload-error">{error}</ErrorNotice>}
      {progress && (
        <div className="space-y-1" data-testid="upload-progress">
          <ProgressBar percent={percent} label="Upload progress" />
          <p className="text-xs text-slate-500">
            {formatBytes(progress.loaded)} of {formatBytes(progress.total)} · {percent.toFixed(0)}%
            {percent >= 100 && " · the server is checking the file…"}
          </p>
        </div>
      )}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={busy || !file} data-testid="upload-submit">
          {busy ? "Uploading…" : "Upload"}
        </Button>
        {busy && (
          <Button onClick={() => handle.current?.cancel()} data-testid="upload-cancel">
            Cancel upload
          </Button>
        )}
      </div>
    </form>
  );
}
