"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CatalogTable } from "@/components/models/catalog-table";
import { UploadForm } from "@/components/models/upload-form";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export default function ModelsPage() {
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  const [uploading, setUploading] = useState(false);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Models</h1>
          <p className="mt-0.5 max-w-2xl text-sm text-slate-500">
            Real models that ship with LabFleet, models it generates (synthetic ones say so), and your uploads. Open a
            model to compare its variants, deploy it to a lab, and benchmark or evaluate it on a device.
          </p>
        </div>
        <div className="flex items-center gap-3">
          <Link href="/deployments" className="text-sm text-sky-700 hover:underline">
            All deployments
          </Link>
          <Button
            variant={uploading ? "secondary" : "primary"}
            onClick={() => setUploading((u) => !u)}
            aria-expanded={uploading}
            data-testid="upload-toggle"
          >
            {uploading ? "Close upload" : "Upload a model"}
          </Button>
        </div>
      </div>

      {uploading && (
        <Card title="Upload an ONNX or GGUF file">
          <UploadForm models={(models.data ?? []).map((m) => ({ id: m.id, name: m.name }))} />
        </Card>
      )}

      {models.error ? (
        <ErrorNotice>{errorMessage(models.error)}</ErrorNotice>
      ) : !models.data ? (
        <Loading label="Loading the catalog…" />
      ) : models.data.length === 0 ? (
        <p
          className="rounded-lg bg-white px-4 py-8 text-center text-sm text-slate-500 ring-1 ring-slate-200"
          data-testid="models-empty"
        >
          The catalog is empty. Upload an ONNX or GGUF file to start.
        </p>
      ) : (
        <CatalogTable models={models.data} />
      )}
    </div>
  );
}
