import { existsSync } from "node:fs";
import { join } from "node:path";
import { INVENTORY_QUERY, type NvidiaInventoryRow, parseNvidiaInventory, runNvidiaSmi } from "./nvidia-smi.ts";
import { linkName, listDir, numbered, readInt, readTrimmed } from "./sysfs.ts";

/**
 * Inventory read directly from /sys (GPUs under drm, NPUs under accel) and from nvidia-smi: what
 * systeminformation does not see (NPUs) or sees without driver and bus (GPUs).
 */

const PCI_VENDORS: Record<string, string> = {
  "0x8086": "Intel",
  "0x1002": "AMD",
  "0x1022": "AMD",
  "0x10de": "NVIDIA",
  "0x1af4": "Red Hat (virtio)",
  "0x15ad": "VMware",
  "0x1234": "QEMU",
};

const NPU_NAMES: Record<string, string> = {
  intel_vpu: "Intel NPU",
  amdxdna: "AMD XDNA NPU",
  qaic: "Qualcomm Cloud AI",
  habanalabs: "Intel Gaudi",
  ivpu: "Intel NPU",
};

export interface PciDevice {
  vendor: string | null;
  /** Dedicated memory where the driver reports it (amdgpu's mem_info_vram_total). */
  vramBytes: number | null;
  /** vendor:device without 0x, e.g. 8086:7d1d. */
  pciId: string | null;
  driver: string | null;
  /** PCI slot, e.g. 0000:03:00.0. */
  busId: string | null;
}

async function pciDevice(dev: string): Promise<PciDevice> {
  const [vendorId, deviceId, driver, uevent, vram] = await Promise.all([
    readTrimmed(join(dev, "vendor")),
    readTrimmed(join(dev, "device")),
    linkName(join(dev, "driver")),
    readTrimmed(join(dev, "uevent")),
    readInt(join(dev, "mem_info_vram_total")),
  ]);
  const slot = /^PCI_SLOT_NAME=(.+)$/m.exec(uevent ?? "")?.[1]?.trim() ?? null;
  const hex = (v: string | null) => v?.toLowerCase().replace(/^0x/, "") ?? null;
  return {
    vendor: vendorId ? (PCI_VENDORS[vendorId.toLowerCase()] ?? vendorId.toLowerCase()) : null,
    vramBytes: vram !== null && vram > 0 ? vram : null,
    pciId: vendorId && deviceId ? `${hex(vendorId)}:${hex(deviceId)}` : null,
    driver,
    busId: slot,
  };
}

/** GPUs under /sys/class/drm/cardN (connectors like card0-eDP-1 are not cards). */
export async function readDrmInventory(root: string): Promise<PciDevice[]> {
  const base = join(root, "sys/class/drm");
  const cards = await numbered(base, "card");
  return (await Promise.all(cards.map((c) => pciDevice(join(base, c, "device"))))).filter((d) => d.driver !== null);
}

export interface NpuDevice {
  name: string;
  driver: string | null;
  vendor: string | null;
  devicePath: string | null;
  pciId: string | null;
}

/** NPUs: null where the kernel has no accel subsystem (no /sys/class/accel), [] where it has one but no device. */
export async function readNpus(root: string): Promise<NpuDevice[] | null> {
  const base = join(root, "sys/class/accel");
  if (!existsSync(base)) return null;
  const out: NpuDevice[] = [];
  for (const entry of (await numbered(base, "accel")).slice(0, 16)) {
    const pci = await pciDevice(join(base, entry, "device"));
    // udev puts the node at /dev/accel/accelN; some setups flatten it to /dev/accelN.
    const devicePath = [`/dev/accel/${entry}`, `/dev/${entry}`].find((p) => existsSync(join(root, p))) ?? null;
    out.push({
      name: (pci.driver && NPU_NAMES[pci.driver]) ?? entry,
      driver: pci.driver,
      vendor: pci.vendor,
      devicePath,
      pciId: pci.pciId,
    });
  }
  return out;
}

/** nvidia-smi's inventory; null where there is no nvidia-smi or it failed. */
export async function readNvidiaInventory(binary: string | null): Promise<NvidiaInventoryRow[] | null> {
  if (!binary) return null;
  const out = await runNvidiaSmi(binary, INVENTORY_QUERY, 5_000);
  return out === null ? null : parseNvidiaInventory(out);
}

export interface RuntimeInfo {
  name: string;
  version: string | null;
  executionProviders: string[];
}

async function packageVersion(dir: string): Promise<string | null> {
  const text = await readTrimmed(join(dir, "package.json"));
  if (text === null) return null;
  try {
    const v = (JSON.parse(text) as { version?: unknown }).version;
    return typeof v === "string" ? v.slice(0, 64) : null;
  } catch {
    return null;
  }
}

/** The first directory among `searchDirs` (node_modules folders) that holds `name` with a package.json. */
function findPackage(name: string, searchDirs: string[]): string | null {
  for (const dir of searchDirs) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
  }
  return null;
}

/**
 * Inference runtimes installed next to the agent, found by their files and never loaded: importing
 * onnxruntime-node maps hundreds of MB of native code, and the idle agent must stay small. Execution
 * providers are the provider libraries that the package ships for this platform.
 */
export async function detectRuntimes(
  searchDirs: string[],
  platform: string = process.platform,
  arch: string = process.arch,
): Promise<RuntimeInfo[]> {
  const out: RuntimeInfo[] = [];
  const ort = findPackage("onnxruntime-node", searchDirs);
  if (ort) {
    const providers = new Set(["cpu"]);
    const bin = join(ort, "bin");
    for (const napi of (await listDir(bin)).filter((d) => d.startsWith("napi-v"))) {
      const files = await listDir(join(bin, napi, platform, arch));
      if (files.some((f) => /providers_cuda\.(so|dll)$/.test(f))) providers.add("cuda");
      if (files.some((f) => /providers_tensorrt\.(so|dll)$/.test(f))) providers.add("tensorrt");
      if (files.some((f) => /^DirectML\.dll$/i.test(f))) providers.add("dml");
      if (files.some((f) => /providers_openvino\.(so|dll)$/.test(f))) providers.add("openvino");
    }
    out.push({ name: "onnxruntime-node", version: await packageVersion(ort), executionProviders: [...providers] });
  }
  const llama = findPackage("node-llama-cpp", searchDirs);
  if (llama) {
    const providers: string[] = [];
    // Prebuilt binaries come as optional packages, one per platform and GPU backend; without the plain one (or
    // Apple's Metal build, which also runs on the CPU) there is no CPU build to run.
    const os = platform === "darwin" ? "mac" : platform === "win32" ? "win" : platform;
    if (
      findPackage(`@node-llama-cpp/${os}-${arch}`, searchDirs) ||
      findPackage(`@node-llama-cpp/${os}-${arch}-metal`, searchDirs)
    ) {
      providers.push("cpu");
    }
    for (const backend of ["cuda", "vulkan", "metal"]) {
      if (findPackage(`@node-llama-cpp/${os}-${arch}-${backend}`, searchDirs)) providers.push(backend);
    }
    out.push({ name: "node-llama-cpp", version: await packageVersion(llama), executionProviders: providers });
  }
  // TensorFlow.js runs its models on the wasm backend, which needs no native code. The face detector, its only
  // model, also needs face-api, so the runtime counts as present only with all three packages.
  const tfjs = findPackage("@tensorflow/tfjs", searchDirs);
  const tfjsWasm = findPackage("@tensorflow/tfjs-backend-wasm", searchDirs);
  if (tfjs && tfjsWasm && findPackage("@vladmandic/face-api", searchDirs)) {
    out.push({ name: "tfjs-wasm", version: await packageVersion(tfjs), executionProviders: ["wasm"] });
  }
  return out;
}
