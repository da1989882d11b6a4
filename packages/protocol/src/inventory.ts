import { z } from "zod";
import { bytesSchema, shortText } from "./common.ts";
import { LIMITS } from "./limits.ts";

const nullableText = shortText.nullable();

export const cpuInventorySchema = z.object({
  manufacturer: nullableText,
  brand: nullableText,
  /** Logical cores (threads). */
  cores: z.number().int().min(0).max(LIMITS.maxCores),
  physicalCores: z.number().int().min(0).max(LIMITS.maxCores),
  speedGHz: z.number().min(0).max(20).nullable(),
  speedMaxGHz: z.number().min(0).max(20).nullable(),
  /** Instruction-set flags that matter for inference (avx2, avx512f, avx512_vnni, amx_tile, neon, ...). */
  flags: z.array(z.string().max(32)).max(64),
});

export const diskInventorySchema = z.object({
  device: nullableText,
  name: nullableText,
  type: nullableText,
  sizeBytes: bytesSchema.nullable(),
});

export const gpuInventorySchema = z.object({
  vendor: nullableText,
  model: nullableText,
  vramBytes: bytesSchema.nullable(),
  driver: nullableText.default(null),
  busId: nullableText.default(null),
  /** Where this entry came from: systeminformation, nvidia-smi or sysfs (/sys/class/drm). */
  source: z.enum(["systeminformation", "nvidia-smi", "sysfs"]).nullable().default(null),
});

/** A neural processing unit (Linux: /sys/class/accel/* and /dev/accel*). */
export const npuInventorySchema = z.object({
  name: shortText,
  /** Kernel driver, e.g. intel_vpu, amdxdna. */
  driver: nullableText,
  vendor: nullableText,
  devicePath: nullableText,
  pciId: nullableText,
});

export const runtimeInventorySchema = z.object({
  /** e.g. onnxruntime-node */
  name: shortText,
  version: nullableText,
  executionProviders: z.array(z.string().max(64)).max(32),
});

export const batteryInventorySchema = z.object({
  manufacturer: nullableText,
  model: nullableText,
  designCapacityWh: z.number().min(0).max(10_000).nullable(),
  cycleCount: z.number().int().min(0).max(1_000_000).nullable(),
});

export const networkInterfaceSchema = z.object({
  iface: shortText,
  mac: nullableText,
  ipv4: nullableText,
  ipv6: nullableText,
  speedMbps: z.number().min(0).max(1e7).nullable(),
  virtual: z.boolean(),
});

/** What a device is. Sent on connect and whenever it changes. */
export const inventorySchema = z.object({
  hostname: z.string().min(1).max(LIMITS.maxHostnameLength),
  system: z.object({ manufacturer: nullableText, model: nullableText }),
  os: z.object({
    platform: shortText,
    distro: nullableText,
    release: nullableText,
    kernel: nullableText,
    arch: shortText,
  }),
  cpu: cpuInventorySchema,
  memory: z.object({
    totalBytes: bytesSchema,
    swapTotalBytes: bytesSchema.nullable().default(null),
    /** e.g. DDR5, LPDDR5X; null where the firmware does not say. */
    type: nullableText.default(null),
    speedMTs: z.number().min(0).max(100_000).nullable().default(null),
  }),
  disks: z.array(diskInventorySchema).max(64),
  gpus: z.array(gpuInventorySchema).max(16),
  network: z.array(networkInterfaceSchema).max(64),
  /** NPUs found; null where the machine has no accelerator subsystem at all. */
  npus: z.array(npuInventorySchema).max(16).nullable().default(null),
  battery: batteryInventorySchema.nullable().default(null),
  /** Inference runtimes this agent can use, with their execution providers. */
  runtimes: z.array(runtimeInventorySchema).max(16).default([]),
  agent: z.object({ version: z.string().max(64), nodeVersion: z.string().max(64) }),
  /** True for devices of the simulator: their numbers are made up and must be shown as such. */
  simulated: z.boolean().default(false),
});
export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryInput = z.input<typeof inventorySchema>;
