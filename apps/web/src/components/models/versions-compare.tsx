"use client";

import type { ReactNode } from "react";
import { CopyButton } from "@/components/ui/copy-button";
import { formatBytes } from "@/lib/format";
import type { ModelVersionInfo } from "./api-types";
import { formatShape, ioByFile, metaEntries, shortSha } from "./model-meta";

function Tensors({ io, which }: { io: ModelVersionInfo["io"]; which: "inputs" | "outputs" }) {
  const files = ioByFile(io);
  if (files.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <div className="space-y-1.5">
      {files.map((f) => (
        <div key={f.file}>
          {files.length > 1 && <div className="text-[11px] text-slate-500">{f.file}</div>}
          <ul className="space-y-0.5 font-mono text-xs" data-testid={`io-${which}`}>
            {f[which].map((t) => (
              <li key={t.name}>
                <span className="text-slate-800">{t.name}</span>{" "}
                <span className="text-slate-500">
                  {t.type ? `${t.type} ` : ""}[{formatShape(t.shape)}]
                </span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

function Files({ version }: { version: ModelVersionInfo }) {
  return (
    <ul className="space-y-1.5">
      {version.files.map((f) => (
        <li key={f.name} data-testid="version-file" className="text-xs">
          <div className="flex flex-wrap items-center gap-x-2">
            <span className="font-mono font-medium text-slate-800">{f.name}</span>
            <span className="text-slate-500">{f.role}</span>
            <span className="text-slate-500">{formatBytes(f.sizeBytes)}</span>
          </div>
          <div className="flex items-center gap-2">
            <code className="text-slate-500" title={f.sha256} data-testid="file-sha256" data-sha256={f.sha256}>
              SHA-256 {shortSha(f.sha256)}
            </code>
            <CopyButton text={f.sha256} label="Copy" className="px-1.5! py-0! text-[11px]" />
          </div>
        </li>
      ))}
    </ul>
  );
}

/**
 * The variants of one model side by side (fp32 / fp16 / int8 ...): a column per version, a row per fact,
 * so that size, memory and shapes compare at a glance. `actions` renders each column's buttons.
 */
export function VersionsCompare({
  versions,
  actions,
}: {
  versions: ModelVersionInfo[];
  actions: (v: ModelVersionInfo) => ReactNode;
}) {
  const metaKeys = [...new Set(versions.flatMap((v) => metaEntries(v.meta).map(([k]) => k)))];
  const rows: Array<{ label: string; cell: (v: ModelVersionInfo) => ReactNode }> = [
    { label: "Format", cell: (v) => v.format.toUpperCase() },
    { label: "Runtime", cell: (v) => <span className="font-mono text-xs">{v.runtime}</span> },
    { label: "Size", cell: (v) => formatBytes(v.totalBytes) },
    { label: "Needs memory", cell: (v) => formatBytes(v.minMemoryBytes) },
    { label: "Inputs", cell: (v) => <Tensors io={v.io} which="inputs" /> },
    { label: "Outputs", cell: (v) => <Tensors io={v.io} which="outputs" /> },
    ...metaKeys.map((key) => ({
      label: key,
      cell: (v: ModelVersionInfo) => metaEntries(v.meta).find(([k]) => k === key)?.[1] ?? "—",
    })),
    { label: "Files", cell: (v) => <Files version={v} /> },
  ];
  return (
    <div className="overflow-x-auto rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
      <table className="w-full text-left text-sm" data-testid="versions-table">
        <thead className="border-b border-slate-200">
          <tr>
            <th className="w-36 px-4 py-2 text-xs font-medium text-slate-500 uppercase">Variant</th>
            {versions.map((v) => (
              <th key={v.id} className="px-4 py-2 align-top" data-testid="version-column" data-variant={v.variant}>
                <div className="text-base font-semibold text-slate-900">{v.variant}</div>
                <div className="mt-1.5 flex flex-wrap gap-1.5">{actions(v)}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((r) => (
            <tr key={r.label} className="align-top">
              <th scope="row" className="px-4 py-2 text-xs font-medium text-slate-500">
                {r.label}
              </th>
              {versions.map((v) => (
                <td key={v.id} className="px-4 py-2 text-slate-700">
                  {r.cell(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
