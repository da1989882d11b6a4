import { hostname as osHostname } from "node:os";
import { type InventoryInput, LIMITS } from "@labfleet/protocol";
import type { Systeminformation } from "systeminformation";
import type { Logger } from "../logger.ts";
import { runtimeSearchDirs } from "../workloads/runtimes/packages.ts";
import { filterInferenceFlags } from "./cpu-flags.ts";
import { detectRuntimes, readDrmInventory, readNpus, readNvidiaInventory } from "./hardware.ts";
import { type DirectHardware, mapBattery, mapMemoryLayout, mergeGpus } from "./inventory-merge.ts";
import { findNvidiaSmi } from "./nvidia-smi.ts";

/** What systeminformation returned, call by call; null where a call failed or timed out. Recorded as-is in fixtures. */
export interface RawSystemInfo {
  system: Systeminformation.SystemData | null;
  cpu: Systeminformation.CpuData | null;
  cpuFlags: string | null;
  mem: Systeminformation.MemData | null;
  diskLayout: Systeminformation.DiskLayoutData[] | null;
  graphics: Systeminformation.GraphicsData | null;
  osInfo: Systeminformation.OsData | null;
  networkInterfaces: Systeminformation.NetworkInterfacesData[] | null;
  // Added later; optional so that recordings made before them still load.
  memLayout?: Systeminformation.MemLayoutData[] | null;
  battery?: Systeminformation.BatteryData | null;
  /** Read from /sys and nvidia-smi by the agent itself. */
  direct?: DirectHardware | null;
}

export interface InventoryMeta {
  /** Used when osInfo failed or has no hostname. */
  hostname: string;
  platform: string;
  arch: string;
  agentVersion: string;
  nodeVersion: string;
  /** Fallback for memory when `mem` failed (os.totalmem()). */
  totalMemBytes: number;
}

/** systeminformation uses "" and "-" for unknown strings; the protocol uses null. */
function text(v: string | null | undefined): string | null {
  const t = v?.trim();
  return t && t !== "-" && t.toLowerCase() !== "unknown" ? t.slice(0, 256) : null;
}

/** Bytes, or null for unknown, negative or absurd values. */
function bytes(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) && v > 0 && v <= Number.MAX_SAFE_INTEGER ? Math.round(v) : null;
}

/** GHz, or null: systeminformation reports 0 when the speed is unknown (as in most VMs). */
function ghz(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) && v > 0 && v <= 20 ? v : null;
}

function count(v: number | null | undefined): number {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? Math.min(v, LIMITS.maxCores) : 0;
}

/** Maps systeminformation's output to the protocol's inventory. Pure: tested on recorded output. */
export function mapInventory(raw: RawSystemInfo, meta: InventoryMeta): InventoryInput {
  const hostname = (text(raw.osInfo?.hostname) ?? meta.hostname).slice(0, LIMITS.maxHostnameLength);
  const arch = text(raw.osInfo?.arch) ?? meta.arch;
  return {
    hostname,
    system: { manufacturer: text(raw.system?.manufacturer), model: text(raw.system?.model) },
    os: {
      platform: text(raw.osInfo?.platform) ?? meta.platform,
      distro: text(raw.osInfo?.distro),
      release: text(raw.osInfo?.release),
      kernel: text(raw.osInfo?.kernel),
      arch,
    },
    cpu: {
      manufacturer: text(raw.cpu?.manufacturer),
      brand: text(raw.cpu?.brand),
      cores: count(raw.cpu?.cores),
      physicalCores: count(raw.cpu?.physicalCores),
      speedGHz: ghz(raw.cpu?.speed),
      speedMaxGHz: ghz(raw.cpu?.speedMax),
      // cpuFlags is the dedicated call; cpu().flags carries the same string on Linux.
      flags: filterInferenceFlags(raw.cpuFlags ?? raw.cpu?.flags ?? "", arch),
    },
    memory: {
      totalBytes: bytes(raw.mem?.total) ?? Math.max(0, Math.round(meta.totalMemBytes)),
      // 0 is a real answer here: no swap configured.
      swapTotalBytes:
        typeof raw.mem?.swaptotal === "number" && raw.mem.swaptotal >= 0 ? Math.round(raw.mem.swaptotal) : null,
      ...mapMemoryLayout(raw.memLayout),
    },
    disks: (raw.diskLayout ?? []).slice(0, 64).map((d) => ({
      device: text(d.device),
      name: text(d.name),
      type: text(d.type),
      sizeBytes: bytes(d.size),
    })),
    gpus: mergeGpus(raw.direct, raw.graphics?.controllers ?? []),
    network: (raw.networkInterfaces ?? [])
      .filter((n) => !n.internal)
      .slice(0, 64)
      .map((n) => ({
        iface: n.iface.slice(0, 256),
        mac: text(n.mac),
        ipv4: text(n.ip4),
        ipv6: text(n.ip6),
        // -1 or null when the link speed is unknown (VMs, Wi-Fi on some drivers).
        speedMbps: typeof n.speed === "number" && n.speed > 0 && n.speed <= 1e7 ? n.speed : null,
        virtual: n.virtual,
      })),
    npus: raw.direct ? raw.direct.npus : null,
    battery: mapBattery(raw.battery),
    runtimes: raw.direct?.runtimes ?? [],
    agent: { version: meta.agentVersion, nodeVersion: meta.nodeVersion },
    simulated: false,
  };
}

/** Resolves with the call's result, or with null after `timeoutMs` or on failure; logs which one failed. */
async function settle<T>(label: string, call: () => Promise<T>, timeoutMs: number, log: Logger): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ call: label, timeoutMs }, "inventory call timed out; reporting it as unknown");
      resolve(null);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      call().catch((e: unknown) => {
        log.warn(
          { call: label, err: e instanceof Error ? e.message : String(e) },
          "inventory call failed; reporting it as unknown",
        );
        return null;
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The systeminformation calls that inventory makes; a parameter so that tests can make one fail or hang. */
export type SystemInfoSource = {
  system(): Promise<Systeminformation.SystemData>;
  cpu(): Promise<Systeminformation.CpuData>;
  cpuFlags(): Promise<string>;
  mem(): Promise<Systeminformation.MemData>;
  diskLayout(): Promise<Systeminformation.DiskLayoutData[]>;
  graphics(): Promise<Systeminformation.GraphicsData>;
  osInfo(): Promise<Systeminformation.OsData>;
  networkInterfaces(): Promise<Systeminformation.NetworkInterfacesData[]>;
  memLayout?(): Promise<Systeminformation.MemLayoutData[]>;
  battery?(): Promise<Systeminformation.BatteryData>;
};

async function loadSystemInformation(): Promise<SystemInfoSource> {
  // Loaded on first use: it is large, and the Linux sampler never needs it.
  const si = (await import("systeminformation")).default;
  return {
    system: () => si.system(),
    cpu: () => si.cpu(),
    cpuFlags: () => si.cpuFlags(),
    mem: () => si.mem(),
    diskLayout: () => si.diskLayout(),
    graphics: () => si.graphics(),
    osInfo: () => si.osInfo(),
    networkInterfaces: () => si.networkInterfaces(),
    memLayout: () => si.memLayout(),
    battery: () => si.battery(),
  };
}

/** Runs every call in parallel; one that fails or hangs leaves only its part unknown. */
export async function collectRawSystemInfo(
  log: Logger,
  options: { timeoutMs?: number; source?: SystemInfoSource } & DirectOptions = {},
): Promise<RawSystemInfo> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const si = options.source ?? (await loadSystemInformation());
  const none = async () => null;
  const [system, cpu, cpuFlags, mem, diskLayout, graphics, osInfo, networkInterfaces, memLayout, battery, direct] =
    await Promise.all([
      settle("system", () => si.system(), timeoutMs, log),
      settle("cpu", () => si.cpu(), timeoutMs, log),
      settle("cpuFlags", () => si.cpuFlags(), timeoutMs, log),
      settle("mem", () => si.mem(), timeoutMs, log),
      settle("diskLayout", () => si.diskLayout(), timeoutMs, log),
      settle("graphics", () => si.graphics(), timeoutMs, log),
      settle("osInfo", () => si.osInfo(), timeoutMs, log),
      settle("networkInterfaces", () => si.networkInterfaces(), timeoutMs, log),
      settle("memLayout", si.memLayout ? () => si.memLayout?.() ?? none() : none, timeoutMs, log),
      settle("battery", si.battery ? () => si.battery?.() ?? none() : none, timeoutMs, log),
      settle("direct", () => collectDirectHardware(options), timeoutMs, log),
    ]);
  return {
    system,
    cpu,
    cpuFlags,
    mem,
    diskLayout,
    graphics,
    osInfo,
    networkInterfaces,
    memLayout,
    battery,
    direct,
  };
}

export interface DirectOptions {
  /** Filesystem root for /sys and /dev: "/" on a real machine, a recorded tree in tests. */
  root?: string;
  /** nvidia-smi binary; default: looked up on PATH; null: none. */
  nvidiaSmi?: string | null;
  /** node_modules folders where inference runtimes may be installed; default: those Node would search from the agent. */
  runtimeDirs?: string[];
}

/** GPUs and NPUs from /sys, NVIDIA GPUs from nvidia-smi, and installed runtimes: read by the agent itself. */
export async function collectDirectHardware(o: DirectOptions = {}): Promise<DirectHardware> {
  const root = o.root ?? "/";
  const smi = o.nvidiaSmi === undefined ? findNvidiaSmi() : o.nvidiaSmi;
  const [drm, nvidia, npus, runtimes] = await Promise.all([
    readDrmInventory(root),
    readNvidiaInventory(smi),
    readNpus(root),
    detectRuntimes(o.runtimeDirs ?? runtimeSearchDirs()),
  ]);
  return { drm, nvidia, npus, runtimes };
}

export function defaultInventoryMeta(agentVersion: string, totalMemBytes: number): InventoryMeta {
  return {
    hostname: osHostname() || "unknown",
    platform: process.platform,
    arch: process.arch,
    agentVersion,
    nodeVersion: process.version,
    totalMemBytes,
  };
}

export { inventoryHash } from "./inventory-hash.ts";
