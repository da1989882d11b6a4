"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { memo, useMemo, useState } from "react";
import { formatPercent, formatTempC } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { STATUS_LABEL, StatusDot } from "../status-dot";
import { inputClass } from "../ui/field";
import {
  type DeviceAttrs,
  EMPTY_FILTER,
  type FleetFilter,
  filterAndSort,
  type Sort,
  type SortKey,
} from "./fleet-filter";
import { TagEditor } from "./tag-editor";

const ROW_PX = 40;
const VIEW_PX = 600;
/** Rows rendered above and below the visible window, so a fast scroll does not show blank space. */
const OVERSCAN = 8;

const COLUMNS: Array<{ key: SortKey; label: string; className: string }> = [
  { key: "name", label: "Name", className: "w-[18%]" },
  { key: "hostname", label: "Hostname", className: "w-[16%]" },
  { key: "status", label: "Status", className: "w-[10%]" },
  { key: "lab", label: "Lab / seat", className: "w-[16%]" },
  { key: "cpu", label: "CPU", className: "w-[8%] text-right" },
  { key: "mem", label: "Memory", className: "w-[8%] text-right" },
  { key: "temp", label: "CPU temp", className: "w-[9%] text-right" },
];

/** One row. Memoised on the summary and attributes objects: an event re-renders only the row it changed. */
const Row = memo(function Row({
  device,
  attrs,
  top,
  onEditTags,
}: {
  device: DeviceSummary;
  attrs?: DeviceAttrs;
  top: number;
  onEditTags: (id: string) => void;
}) {
  const s = device.latest;
  const mem = s && s.memTotalBytes > 0 ? (s.memUsedBytes / s.memTotalBytes) * 100 : null;
  const hw = [attrs?.hasGpu && "GPU", attrs?.hasNpu && "NPU"].filter(Boolean).join(" ");
  return (
    <div
      data-testid={`fleet-row-${device.id}`}
      className="absolute inset-x-0 flex items-center border-b border-slate-100 px-2 text-sm hover:bg-sky-50"
      style={{ top, height: ROW_PX }}
    >
      <Link
        href={`/devices/${encodeURIComponent(device.id)}`}
        className="w-[18%] truncate font-medium text-slate-900 hover:text-sky-700 hover:underline"
      >
        {device.name}
      </Link>
      <span className="w-[16%] truncate font-mono text-xs text-slate-500">{device.hostname}</span>
      <span className="inline-flex w-[10%] items-center gap-1.5" data-status={device.status}>
        <StatusDot status={device.status} />
        {STATUS_LABEL[device.status]}
      </span>
      <span className="w-[16%] truncate text-slate-600">
        {attrs?.labName ?? "—"}
        {attrs?.seatLabel ? ` · ${attrs.seatLabel}` : ""}
      </span>
      <span className="w-[8%] text-right tabular-nums">{formatPercent(s?.cpuLoadPct)}</span>
      <span className="w-[8%] text-right tabular-nums">{formatPercent(mem)}</span>
      <span className="w-[9%] text-right tabular-nums">{formatTempC(s?.cpuTempC)}</span>
      <button
        type="button"
        className="w-[15%] truncate pl-3 text-left text-xs text-slate-500 hover:text-sky-700"
        title="Edit tags"
        onClick={() => onEditTags(device.id)}
        data-testid={`fleet-tags-${device.id}`}
      >
        {[...(attrs?.tags ?? []), hw].filter(Boolean).join(", ") || "+ tag"}
      </button>
    </div>
  );
});

function Select({
  label,
  value,
  onChange,
  options,
  testId,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: Array<[string, string]>;
  testId: string;
}) {
  return (
    <label className="text-xs text-slate-600">
      <span className="mb-1 block">{label}</span>
      <select
        className={`${inputClass} w-36!`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      >
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The fleet as a table: search, filters and sorting over every device, with only the rows in view rendered
 * (fixed-height rows in a scrolling box), so a thousand devices stay responsive.
 */
export function FleetTable({ devices }: { devices: readonly DeviceSummary[] }) {
  const trpc = useTRPC();
  const attrsQuery = useQuery(trpc.device.attributes.queryOptions(undefined, { refetchInterval: 30_000 }));
  const labs = useQuery(trpc.lab.list.queryOptions(undefined, { staleTime: 60_000 }));
  const [filter, setFilter] = useState<FleetFilter>(EMPTY_FILTER);
  const [sort, setSort] = useState<Sort>({ key: "name", dir: 1 });
  const [scrollTop, setScrollTop] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);

  const attrs = useMemo(() => new Map((attrsQuery.data ?? []).map((a) => [a.id, a])), [attrsQuery.data]);
  const tags = useMemo(() => [...new Set((attrsQuery.data ?? []).flatMap((a) => a.tags))].sort(), [attrsQuery.data]);
  const rows = useMemo(
    () =>
      filterAndSort(
        devices.map((device) => ({ device, attrs: attrs.get(device.id) })),
        filter,
        sort,
      ),
    [devices, attrs, filter, sort],
  );

  const editingDevice = editing ? devices.find((d) => d.id === editing) : undefined;
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + VIEW_PX) / ROW_PX) + OVERSCAN);
  const set = (patch: Partial<FleetFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const toggleSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: 1 }));

  return (
    <div className="space-y-3" data-testid="fleet-table">
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-xs text-slate-600">
          <span className="mb-1 block">Search</span>
          <input
            type="search"
            className={`${inputClass} w-56!`}
            placeholder="Name or hostname"
            value={filter.search}
            onChange={(e) => set({ search: e.target.value })}
            data-testid="fleet-search"
          />
        </label>
        <Select
          label="Lab"
          value={filter.lab}
          onChange={(lab) => set({ lab })}
          testId="fleet-filter-lab"
          options={[
            ["", "All labs"],
            ["none", "No lab"],
            ...(labs.data ?? []).map((l): [string, string] => [l.id, l.name]),
          ]}
        />
        <Select
          label="Status"
          value={filter.status}
          onChange={(status) => set({ status: status as FleetFilter["status"] })}
          testId="fleet-filter-status"
          options={[
            ["", "Any status"],
            ["online", "Online"],
            ["offline", "Offline"],
            ["revoked", "Revoked"],
          ]}
        />
        <Select
          label="Tag"
          value={filter.tag}
          onChange={(tag) => set({ tag })}
          testId="fleet-filter-tag"
          options={[["", "Any tag"], ...tags.map((t): [string, string] => [t, t])]}
        />
        <Select
          label="Hardware"
          value={filter.hardware}
          onChange={(hardware) => set({ hardware: hardware as FleetFilter["hardware"] })}
          testId="fleet-filter-hardware"
          options={[
            ["", "Any hardware"],
            ["gpu", "Has a GPU"],
            ["npu", "Has an NPU"],
          ]}
        />
        <p className="ml-auto text-xs text-slate-500" data-testid="fleet-count">
          {rows.length} of {devices.length}
        </p>
      </div>
      {editingDevice && (
        <TagEditor
          key={editingDevice.id}
          deviceId={editingDevice.id}
          deviceName={editingDevice.name}
          tags={attrs.get(editingDevice.id)?.tags ?? []}
          onClose={() => setEditing(null)}
        />
      )}
      <div className="rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
        <div className="flex border-b border-slate-200 px-2 py-2 text-xs font-medium text-slate-600">
          {COLUMNS.map((c) => (
            <button
              key={c.key}
              type="button"
              className={`${c.className} truncate text-left hover:text-slate-900`}
              onClick={() => toggleSort(c.key)}
              data-sort={sort.key === c.key ? (sort.dir === 1 ? "ascending" : "descending") : undefined}
              title={`Sort by ${c.label}`}
              data-testid={`fleet-sort-${c.key}`}
            >
              {c.label}
              {sort.key === c.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
            </button>
          ))}
          <span className="w-[15%] pl-3">Tags / hardware</span>
        </div>
        {rows.length === 0 ? (
          <p className="p-6 text-center text-sm text-slate-500" data-testid="fleet-table-empty">
            No device matches these filters.
          </p>
        ) : (
          <div
            className="relative overflow-y-auto"
            style={{ height: Math.min(VIEW_PX, rows.length * ROW_PX) }}
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          >
            <div style={{ height: rows.length * ROW_PX }}>
              {rows.slice(first, last).map((r, i) => (
                <Row
                  key={r.device.id}
                  device={r.device}
                  attrs={r.attrs}
                  top={(first + i) * ROW_PX}
                  onEditTags={setEditing}
                />
              ))}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
