import type { InventoryInput } from "@labfleet/protocol";
import type { Systeminformation } from "systeminformation";
import type { NpuDevice, PciDevice, RuntimeInfo } from "./hardware.ts";
import type { NvidiaInventoryRow } from "./nvidia-smi.ts";

type GpuEntry = InventoryInput["gpus"][number];

/** What the agent read itself, beside systeminformation: /sys and nvidia-smi. */
export interface DirectHardware {
  drm: PciDevice[];
  /** null: no nvidia-smi (or it failed). */
  nvidia: NvidiaInventoryRow[] | null;
  npus: NpuDevice[] | null;
  runtimes: RuntimeInfo[];
}

const text = (v: string | null | undefined): string | null => {
  const t = v?.trim();
  return t && t !== "-" && t.toLowerCase() !== "unknown" ? t.slice(0, 256) : null;
};

/** "00000000:01:00.0", "0000:01:00.0" and "01:00.0" are the same PCI slot: 0000:01:00.0. */
export function normalizeBusId(v: string | null | undefined): string | null {
  const m = /(?:([0-9a-f]+):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(v?.trim() ?? "");
  if (!m) return null;
  const domain = (m[1] ?? "0").slice(-4).padStart(4, "0");
  return `${domain}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
}

function family(vendor: string | null | undefined): string | null {
  const v = vendor?.toLowerCase() ?? "";
  if (v.includes("nvidia")) return "nvidia";
  if (v.includes("intel")) return "intel";
  if (v.includes("amd") || v.includes("advanced micro") || v.includes("ati")) return "amd";
  return null;
}

/**
 * One list of GPUs from three sources, no card twice: nvidia-smi first (it knows NVIDIA cards best), then
 * /sys/class/drm (driver and slot for AMD and Intel), then systeminformation for what neither saw (other
 * platforms, or a machine without sysfs). A systeminformation entry for a card already listed only lends
 * its model name, matched by PCI slot, else by vendor.
 */
export function mergeGpus(
  direct: DirectHardware | null | undefined,
  controllers: Systeminformation.GraphicsControllerData[],
): GpuEntry[] {
  const out: GpuEntry[] = [];
  for (const n of direct?.nvidia ?? []) {
    out.push({
      vendor: "NVIDIA",
      model: n.name,
      vramBytes: n.vramBytes,
      driver: n.driverVersion ? `nvidia ${n.driverVersion}` : "nvidia",
      busId: normalizeBusId(n.busId),
      source: "nvidia-smi",
    });
  }
  for (const d of direct?.drm ?? []) {
    const bus = normalizeBusId(d.busId);
    if (bus && out.some((g) => g.busId === bus)) continue;
    // nvidia-smi answered but without a slot we could match: the NVIDIA card is already listed.
    if ((d.driver === "nvidia" || family(d.vendor) === "nvidia") && (direct?.nvidia?.length ?? 0) > 0) continue;
    out.push({ vendor: d.vendor, model: null, vramBytes: d.vramBytes, driver: d.driver, busId: bus, source: "sysfs" });
  }
  const claimed = new Set<GpuEntry>();
  for (const c of controllers) {
    const bus = normalizeBusId(c.busAddress);
    const vramBytes = typeof c.vram === "number" && c.vram > 0 ? c.vram * 1024 * 1024 : null;
    const same =
      (bus ? out.find((g) => g.busId === bus && !claimed.has(g)) : undefined) ??
      out.find(
        (g) =>
          !claimed.has(g) &&
          g.source !== "systeminformation" &&
          family(g.vendor) !== null &&
          family(g.vendor) === family(c.vendor),
      );
    if (same) {
      claimed.add(same);
      same.model ??= text(c.model);
      same.vramBytes ??= vramBytes;
      continue;
    }
    out.push({
      vendor: text(c.vendor),
      model: text(c.model),
      vramBytes,
      driver: null,
      busId: bus,
      source: "systeminformation",
    });
  }
  return out.slice(0, 16);
}

/** Battery identity from systeminformation; capacity in Wh whatever unit it reports. */
export function mapBattery(b: Systeminformation.BatteryData | null | undefined): InventoryInput["battery"] {
  if (!b?.hasBattery) return null;
  const cap = typeof b.designedCapacity === "number" && b.designedCapacity > 0 ? b.designedCapacity : null;
  let wh: number | null = null;
  if (cap !== null && b.capacityUnit === "mWh") wh = cap / 1000;
  else if (cap !== null && b.capacityUnit === "mAh" && b.voltage > 0) wh = (cap * b.voltage) / 1000;
  return {
    manufacturer: text(b.manufacturer),
    model: text(b.model),
    designCapacityWh: wh !== null && wh <= 10_000 ? Math.round(wh * 100) / 100 : null,
    cycleCount: Number.isInteger(b.cycleCount) && b.cycleCount > 0 ? b.cycleCount : null,
  };
}

/** Memory type and speed from the first populated DIMM that says; null where the firmware does not. */
export function mapMemoryLayout(layout: Systeminformation.MemLayoutData[] | null | undefined): {
  type: string | null;
  speedMTs: number | null;
} {
  const populated = (layout ?? []).filter((m) => m.size > 0);
  const type = populated.map((m) => text(m.type)).find((t) => t !== null && t.toLowerCase() !== "empty") ?? null;
  const speed = populated.map((m) => m.clockSpeed).find((s) => typeof s === "number" && s > 0 && s <= 100_000);
  return { type, speedMTs: speed ?? null };
}
