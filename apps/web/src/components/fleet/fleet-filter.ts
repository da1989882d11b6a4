import type { DeviceSummary } from "@labfleet/protocol";

export interface DeviceAttrs {
  tags: string[];
  hasGpu: boolean;
  hasNpu: boolean;
  labName: string | null;
  seatLabel: string | null;
}

export interface FleetRow {
  device: DeviceSummary;
  attrs: DeviceAttrs | undefined;
}

export interface FleetFilter {
  search: string;
  /** A lab id, "none" for devices without a lab, "" for all. */
  lab: string;
  status: "" | DeviceSummary["status"];
  tag: string;
  hardware: "" | "gpu" | "npu";
}

export const EMPTY_FILTER: FleetFilter = { search: "", lab: "", status: "", tag: "", hardware: "" };

export type SortKey = "name" | "hostname" | "status" | "lab" | "cpu" | "mem" | "temp" | "lastSeen";
export interface Sort {
  key: SortKey;
  dir: 1 | -1;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export function matches(row: FleetRow, f: FleetFilter): boolean {
  const { device, attrs } = row;
  if (f.search) {
    const q = f.search.trim().toLowerCase();
    if (q && !device.name.toLowerCase().includes(q) && !device.hostname.toLowerCase().includes(q)) return false;
  }
  if (f.lab === "none" ? device.labId !== null : f.lab && device.labId !== f.lab) return false;
  if (f.status && device.status !== f.status) return false;
  if (f.tag && !attrs?.tags.includes(f.tag)) return false;
  if (f.hardware === "gpu" && !attrs?.hasGpu) return false;
  if (f.hardware === "npu" && !attrs?.hasNpu) return false;
  return true;
}

/** A column's value; null sorts last whatever the direction (an unknown temperature is not "coolest"). */
function value(row: FleetRow, key: SortKey): string | number | null {
  const d = row.device;
  switch (key) {
    case "name":
      return d.name;
    case "hostname":
      return d.hostname;
    case "status":
      return d.status;
    case "lab":
      return row.attrs?.labName ?? null;
    case "cpu":
      return d.latest?.cpuLoadPct ?? null;
    case "mem":
      return d.latest && d.latest.memTotalBytes > 0 ? d.latest.memUsedBytes / d.latest.memTotalBytes : null;
    case "temp":
      return d.latest?.cpuTempC ?? null;
    case "lastSeen":
      return d.lastSeenAt;
  }
}

export function filterAndSort(rows: readonly FleetRow[], f: FleetFilter, sort: Sort): FleetRow[] {
  const out = rows.filter((r) => matches(r, f));
  out.sort((a, b) => {
    const va = value(a, sort.key);
    const vb = value(b, sort.key);
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else {
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : collator.compare(String(va), String(vb));
      if (c !== 0) return c * sort.dir;
    }
    return collator.compare(a.device.name, b.device.name) || a.device.id.localeCompare(b.device.id);
  });
  return out;
}
