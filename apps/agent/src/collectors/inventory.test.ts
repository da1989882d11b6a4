import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { inventorySchema } from "@labfleet/protocol";
import type { Systeminformation } from "systeminformation";
import { captureLogger } from "../testing/capture-logger.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { filterInferenceFlags } from "./cpu-flags.ts";
import {
  collectRawSystemInfo,
  type InventoryMeta,
  mapInventory,
  type RawSystemInfo,
  type SystemInfoSource,
} from "./inventory.ts";

const META: InventoryMeta = {
  hostname: "fallback-host",
  platform: "linux",
  arch: "x64",
  agentVersion: "0.1.0",
  nodeVersion: "v20.20.2",
  totalMemBytes: 1_000_000,
};

async function recorded(): Promise<RawSystemInfo> {
  return JSON.parse(await readFile(join(FIXTURES, "vm/systeminformation.json"), "utf8")) as RawSystemInfo;
}

describe("mapInventory on this VM's recorded systeminformation output", () => {
  test("passes inventorySchema with the expected values", async () => {
    const inv = inventorySchema.parse(mapInventory(await recorded(), META));
    assert.equal(inv.hostname, "vm");
    // "" manufacturer is unknown, not an empty name.
    assert.deepEqual(inv.system, { manufacturer: null, model: "Docker Container" });
    assert.deepEqual(inv.os, {
      platform: "linux",
      distro: "Debian GNU/Linux",
      release: "12",
      kernel: "6.18.44-fc-v657",
      arch: "x64",
    });
    assert.equal(inv.cpu.manufacturer, "AMD");
    assert.equal(inv.cpu.cores, 2);
    assert.equal(inv.cpu.physicalCores, 2);
    // The VM reports speed 0: unknown, not 0 GHz.
    assert.equal(inv.cpu.speedGHz, null);
    assert.equal(inv.cpu.speedMaxGHz, null);
    assert.deepEqual(inv.cpu.flags, [
      "avx",
      "avx2",
      "avx512_bf16",
      "avx512_bitalg",
      "avx512_vbmi2",
      "avx512_vnni",
      "avx512_vp2intersect",
      "avx512_vpopcntdq",
      "avx512bw",
      "avx512cd",
      "avx512dq",
      "avx512f",
      "avx512ifma",
      "avx512vbmi",
      "avx512vl",
      "avx_vnni",
      "f16c",
      "fma",
    ]);
    assert.equal(inv.memory.totalBytes, 25_276_510_208);
    assert.deepEqual(inv.disks, []);
    assert.deepEqual(inv.gpus, []);
    // Loopback is left out; a link speed of -1 is unknown.
    assert.deepEqual(inv.network, [
      { iface: "eth0", mac: "02:fc:00:00:00:01", ipv4: "192.0.2.2", ipv6: "fd00::2", speedMbps: null, virtual: false },
    ]);
    assert.deepEqual(inv.agent, { version: "0.1.0", nodeVersion: "v20.20.2" });
    assert.equal(inv.simulated, false);
  });

  test("disks and GPUs: VRAM MiB -> bytes, unknown VRAM null", async () => {
    const raw = await recorded();
    const withHardware: RawSystemInfo = {
      ...raw,
      diskLayout: [
        {
          device: "/dev/nvme0n1",
          type: "NVMe",
          name: "Samsung SSD 980 500GB",
          size: 500_107_862_016,
        } as Systeminformation.DiskLayoutData,
      ],
      graphics: {
        controllers: [
          { vendor: "Intel Corporation", model: "UHD Graphics 730", vram: 256, vramDynamic: true, bus: "Onboard" },
          { vendor: "NVIDIA", model: "GeForce RTX 3060", vram: 12288, vramDynamic: false, bus: "PCIe" },
          { vendor: "", model: "", vram: null, vramDynamic: false, bus: "" },
        ],
        displays: [],
      },
    };
    const inv = inventorySchema.parse(mapInventory(withHardware, META));
    assert.deepEqual(inv.disks, [
      { device: "/dev/nvme0n1", name: "Samsung SSD 980 500GB", type: "NVMe", sizeBytes: 500_107_862_016 },
    ]);
    const fromSi = { driver: null, busId: null, source: "systeminformation" };
    assert.deepEqual(inv.gpus, [
      { vendor: "Intel Corporation", model: "UHD Graphics 730", vramBytes: 268_435_456, ...fromSi },
      { vendor: "NVIDIA", model: "GeForce RTX 3060", vramBytes: 12_884_901_888, ...fromSi },
      { vendor: null, model: null, vramBytes: null, ...fromSi },
    ]);
  });

  test("every call failed: still a valid inventory from the fallbacks", () => {
    const none: RawSystemInfo = {
      system: null,
      cpu: null,
      cpuFlags: null,
      mem: null,
      diskLayout: null,
      graphics: null,
      osInfo: null,
      networkInterfaces: null,
    };
    const inv = inventorySchema.parse(mapInventory(none, META));
    assert.equal(inv.hostname, "fallback-host");
    assert.equal(inv.os.platform, "linux");
    assert.equal(inv.memory.totalBytes, 1_000_000);
    assert.equal(inv.cpu.cores, 0);
    assert.deepEqual(inv.cpu.flags, []);
  });
});

describe("collectRawSystemInfo", () => {
  test("one failing call and one hanging call leave only their parts unknown", async () => {
    const raw = await recorded();
    const { log, lines } = captureLogger("warn");
    const source: SystemInfoSource = {
      system: async () => raw.system as NonNullable<RawSystemInfo["system"]>,
      cpu: async () => raw.cpu as NonNullable<RawSystemInfo["cpu"]>,
      cpuFlags: async () => raw.cpuFlags ?? "",
      mem: async () => raw.mem as NonNullable<RawSystemInfo["mem"]>,
      diskLayout: () => Promise.reject(new Error("lsblk: command not found")),
      graphics: () => new Promise(() => {}), // never settles
      osInfo: async () => raw.osInfo as NonNullable<RawSystemInfo["osInfo"]>,
      networkInterfaces: async () => raw.networkInterfaces ?? [],
    };
    const started = performance.now();
    const got = await collectRawSystemInfo(log, { timeoutMs: 100, source });
    assert.ok(performance.now() - started < 2_000);
    assert.equal(got.diskLayout, null);
    assert.equal(got.graphics, null);
    assert.equal(got.cpu?.cores, 2);
    assert.ok(inventorySchema.safeParse(mapInventory(got, META)).success);
    assert.deepEqual(
      lines.map((l) => [l.call, l.msg]),
      [
        ["diskLayout", "inventory call failed; reporting it as unknown"],
        ["graphics", "inventory call timed out; reporting it as unknown"],
      ],
    );
  });
});

describe("filterInferenceFlags", () => {
  test("Arm features", () => {
    const features =
      "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp i8mm bf16 sve sve2 svei8mm sme";
    assert.deepEqual(filterInferenceFlags(features, "arm64"), [
      "asimd",
      "asimddp",
      "asimdhp",
      "asimdrdm",
      "bf16",
      "fphp",
      "i8mm",
      "sme",
      "sve",
      "sve2",
      "svei8mm",
    ]);
  });

  test("Sapphire Rapids AMX and AVX-VNNI-INT8; nothing relevant is dropped, nothing else kept", () => {
    assert.deepEqual(
      filterInferenceFlags("sse4_2 avx amx_bf16 amx_tile amx_int8 avx_vnni_int8 avx512_fp16 popcnt", "x64"),
      ["amx_bf16", "amx_int8", "amx_tile", "avx", "avx512_fp16", "avx_vnni_int8"],
    );
  });

  test("x86 'sme' (AMD memory encryption) and 'smep' are not Arm's matrix extension", () => {
    assert.deepEqual(filterInferenceFlags("sme smep smap avx2", "x64"), ["avx2"]);
    assert.deepEqual(filterInferenceFlags("sme smep avx2 asimd", "riscv64"), ["asimd", "avx2"]);
  });

  test("at most 64 flags", () => {
    const many = Array.from({ length: 100 }, (_, i) => `avx512_x${i}`).join(" ");
    assert.equal(filterInferenceFlags(many, "x64").length, 64);
  });
});
