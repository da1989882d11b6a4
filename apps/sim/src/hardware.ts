import type { InventoryInput } from "@labfleet/protocol";
import { Rng } from "./rng.ts";

/** The made-up machine behind a simulated device: fixed for a seed. */
export interface Hardware {
  hostname: string;
  cpuBrand: string;
  cores: number;
  freqMaxMHz: number;
  memTotalBytes: number;
  swapTotalBytes: number | null;
  diskTotalBytes: number;
  /** Whether the "machine" exposes each sensor: absent ones are reported as null, as a real agent does. */
  hasTempSensor: boolean;
  hasPower: boolean;
  gpu: { name: string; memTotalBytes: number } | null;
  npu: { name: string; driver: string } | null;
}

const GiB = 1024 ** 3;

const MODELS = [
  { brand: "Core Ultra 7 155H", cores: 16, maxMHz: 4800, gpu: "Simulated Arc iGPU", npu: "intel_vpu" },
  { brand: "Ryzen 7 8845HS", cores: 16, maxMHz: 5100, gpu: "Simulated Radeon 780M", npu: "amdxdna" },
  { brand: "Core i5-1340P", cores: 12, maxMHz: 4600, gpu: "Simulated Iris Xe", npu: null },
  { brand: "N100", cores: 4, maxMHz: 3400, gpu: "Simulated UHD iGPU", npu: null },
] as const;

export function simHostname(index: number): string {
  return `sim-${String(index + 1).padStart(3, "0")}`;
}

export function makeHardware(seed: number, index: number): Hardware {
  const rng = new Rng(seed ^ 0x5eed);
  const model = rng.pick(MODELS);
  const memGiB = model.cores <= 4 ? 16 : rng.pick([16, 32, 32, 64]);
  return {
    hostname: simHostname(index),
    cpuBrand: model.brand,
    cores: model.cores,
    freqMaxMHz: model.maxMHz,
    memTotalBytes: memGiB * GiB,
    swapTotalBytes: rng.chance(0.7) ? rng.pick([2, 4, 8]) * GiB : null,
    diskTotalBytes: rng.pick([256, 512, 1024]) * 1_000_000_000,
    // A few machines (a VM-like box, a board without hwmon) lack sensors, so the UI's "not exposed" path is real.
    hasTempSensor: !rng.chance(0.08),
    hasPower: !rng.chance(0.15),
    gpu: rng.chance(0.75) ? { name: model.gpu, memTotalBytes: rng.pick([2, 4]) * GiB } : null,
    npu: model.npu ? { name: `${model.npu} (simulated)`, driver: model.npu } : null,
  };
}

/** The inventory a simulated device reports: everything named as simulated, `simulated: true`. */
export function makeInventory(hw: Hardware, index: number, agentVersion: string): InventoryInput {
  const mac = `02:00:00:${[index >> 16, (index >> 8) & 0xff, index & 0xff].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
  return {
    hostname: hw.hostname,
    system: { manufacturer: "LabFleet simulator", model: "Simulated mini PC" },
    os: { platform: "linux", distro: "Simulated Linux", release: "1.0", kernel: "6.8.0-sim", arch: "x64" },
    cpu: {
      manufacturer: "Simulated",
      brand: hw.cpuBrand,
      cores: hw.cores,
      physicalCores: Math.max(1, hw.cores / 2),
      speedGHz: 1.2,
      speedMaxGHz: hw.freqMaxMHz / 1000,
      flags: ["avx2", "fma", "sse4_2"],
    },
    memory: { totalBytes: hw.memTotalBytes, swapTotalBytes: hw.swapTotalBytes, type: "LPDDR5 (simulated)" },
    disks: [{ device: "/dev/simdisk0", name: "Simulated NVMe", type: "NVMe", sizeBytes: hw.diskTotalBytes }],
    gpus: hw.gpu
      ? [{ vendor: "Simulated", model: hw.gpu.name, vramBytes: hw.gpu.memTotalBytes, source: "systeminformation" }]
      : [],
    network: [{ iface: "sim0", mac, ipv4: null, ipv6: null, speedMbps: 1000, virtual: true }],
    npus: hw.npu
      ? [{ name: hw.npu.name, driver: hw.npu.driver, vendor: "Simulated", devicePath: null, pciId: null }]
      : [],
    runtimes: [],
    agent: { version: agentVersion, nodeVersion: process.version },
    simulated: true,
  };
}
