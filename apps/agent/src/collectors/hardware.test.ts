import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { inventorySchema } from "@labfleet/protocol";
import type { Systeminformation } from "systeminformation";
import { FIXTURES, fixtureRoot } from "../testing/fixtures.ts";
import { detectRuntimes, readDrmInventory, readNpus } from "./hardware.ts";
import {
  collectDirectHardware,
  type InventoryMeta,
  inventoryHash,
  mapInventory,
  type RawSystemInfo,
} from "./inventory.ts";
import { normalizeBusId } from "./inventory-merge.ts";
import { parseNvidiaInventory, parseNvidiaSample } from "./nvidia-smi.ts";

const WS = join(FIXTURES, "workstation");
const SMI = join(WS, "bin/nvidia-smi");
const RUNTIMES = join(WS, "runtime-packages");

const META: InventoryMeta = {
  hostname: "fallback-host",
  platform: "linux",
  arch: "x64",
  agentVersion: "0.1.0",
  nodeVersion: "v20.20.2",
  totalMemBytes: 1_000_000,
};

const temps: string[] = [];
after(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

async function recordedVm(): Promise<RawSystemInfo> {
  return JSON.parse(await readFile(join(FIXTURES, "vm/systeminformation.json"), "utf8")) as RawSystemInfo;
}

describe("nvidia-smi output", () => {
  test("sample CSV: [N/A] and [Not Supported] are null, not 0", () => {
    const csv =
      "0, NVIDIA GeForce RTX 4070, 23, 1536, 12282, 47, 38.61\n1, Tesla T4, [N/A], 0, 15360, 35, [Not Supported]\n";
    assert.deepEqual(parseNvidiaSample(csv), [
      {
        name: "NVIDIA GeForce RTX 4070",
        utilPct: 23,
        memUsedBytes: 1_610_612_736,
        memTotalBytes: 12_878_610_432,
        tempC: 47,
        powerW: 38.61,
      },
      { name: "Tesla T4", utilPct: null, memUsedBytes: 0, memTotalBytes: 16_106_127_360, tempC: 35, powerW: null },
    ]);
  });

  test("inventory CSV", () => {
    assert.deepEqual(parseNvidiaInventory("0, NVIDIA GeForce RTX 4070, 12282, 550.120, 00000000:01:00.0\n"), [
      {
        name: "NVIDIA GeForce RTX 4070",
        vramBytes: 12_878_610_432,
        driverVersion: "550.120",
        busId: "00000000:01:00.0",
      },
    ]);
    assert.deepEqual(parseNvidiaInventory("No devices were found\n"), []);
  });

  test("bus ids in their three spellings are one slot", () => {
    assert.equal(normalizeBusId("00000000:01:00.0"), "0000:01:00.0");
    assert.equal(normalizeBusId("0000:01:00.0"), "0000:01:00.0");
    assert.equal(normalizeBusId("01:00.0"), "0000:01:00.0");
    assert.equal(normalizeBusId("Onboard"), null);
  });
});

describe("NPUs under /sys/class/accel", () => {
  test("workstation: the Intel NPU with its driver, PCI id and device node", async () => {
    assert.deepEqual(await readNpus(WS), [
      { name: "Intel NPU", driver: "intel_vpu", vendor: "Intel", devicePath: "/dev/accel/accel0", pciId: "8086:7d1d" },
    ]);
  });

  test("no accel subsystem is null; an empty one is []", async () => {
    assert.equal(await readNpus(fixtureRoot("vm")), null);
    const dir = await mkdtemp(join(tmpdir(), "labfleet-accel-"));
    temps.push(dir);
    await mkdir(join(dir, "sys/class/accel"), { recursive: true });
    assert.deepEqual(await readNpus(dir), []);
  });
});

describe("inference runtimes, found without loading them", () => {
  test("onnxruntime-node's providers are the libraries it ships for this platform", async () => {
    assert.deepEqual(await detectRuntimes([RUNTIMES], "linux", "x64"), [
      { name: "onnxruntime-node", version: "1.23.2", executionProviders: ["cpu", "cuda", "tensorrt"] },
      { name: "node-llama-cpp", version: "3.14.2", executionProviders: ["cpu", "cuda", "vulkan"] },
    ]);
    // The fixture's onnxruntime-node throws when loaded: the detection above never loaded it.
    // On another platform nothing ships: cpu only.
    assert.deepEqual((await detectRuntimes([RUNTIMES], "linux", "arm64"))[0]?.executionProviders, ["cpu"]);
  });

  test("tfjs-wasm is reported with the tfjs version once tfjs, its wasm backend and face-api are all there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labfleet-tfjs-runtime-"));
    temps.push(dir);
    const put = async (name: string, version: string) => {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, "package.json"), JSON.stringify({ name, version }));
    };
    await put("@tensorflow/tfjs", "4.22.0");
    await put("@tensorflow/tfjs-backend-wasm", "4.22.0");
    // Without face-api there is nothing for the runtime to run.
    assert.deepEqual(await detectRuntimes([dir]), []);
    await put("@vladmandic/face-api", "1.7.15");
    assert.deepEqual(await detectRuntimes([dir]), [
      { name: "tfjs-wasm", version: "4.22.0", executionProviders: ["wasm"] },
    ]);
    // Found in a second search dir as well, next to onnxruntime-node in the first.
    const names = (await detectRuntimes([RUNTIMES, dir], "linux", "x64")).map((r) => r.name);
    assert.deepEqual(names, ["onnxruntime-node", "node-llama-cpp", "tfjs-wasm"]);
  });

  test("none installed is []", async () => {
    assert.deepEqual(await detectRuntimes([join(FIXTURES, "vm")]), []);
  });
});

describe("the inventory of a workstation with an NPU and an NVIDIA GPU (recorded sysfs and nvidia-smi)", () => {
  test("GPUs from nvidia-smi and sysfs, merged with systeminformation's list without duplicates", async () => {
    const direct = await collectDirectHardware({ root: WS, nvidiaSmi: SMI, runtimeDirs: [RUNTIMES] });
    const raw: RawSystemInfo = {
      ...(await recordedVm()),
      graphics: {
        controllers: [
          // The same two cards as systeminformation sees them (lspci): matched by slot, by vendor.
          {
            vendor: "NVIDIA Corporation",
            model: "AD104 [GeForce RTX 4070]",
            vram: 12282,
            vramDynamic: false,
            bus: "PCIe",
            busAddress: "01:00.0",
          },
          {
            vendor: "Intel Corporation",
            model: "Meteor Lake-P [Intel Arc Graphics]",
            vram: 128,
            vramDynamic: true,
            bus: "Onboard",
          },
        ] as Systeminformation.GraphicsControllerData[],
        displays: [],
      },
      direct,
    };
    const inv = inventorySchema.parse(mapInventory(raw, META));
    assert.deepEqual(inv.gpus, [
      {
        vendor: "NVIDIA",
        model: "NVIDIA GeForce RTX 4070",
        vramBytes: 12_878_610_432,
        driver: "nvidia 550.120",
        busId: "0000:01:00.0",
        source: "nvidia-smi",
      },
      {
        vendor: "Intel",
        model: "Meteor Lake-P [Intel Arc Graphics]",
        vramBytes: 134_217_728,
        driver: "i915",
        busId: "0000:00:02.0",
        source: "sysfs",
      },
    ]);
    assert.deepEqual(inv.npus, [
      { name: "Intel NPU", driver: "intel_vpu", vendor: "Intel", devicePath: "/dev/accel/accel0", pciId: "8086:7d1d" },
    ]);
    assert.deepEqual(
      inv.runtimes.map((r) => r.name),
      ["onnxruntime-node", "node-llama-cpp"],
    );
  });

  test("laptop sysfs: i915 and amdgpu with the VRAM amdgpu reports", async () => {
    assert.deepEqual(await readDrmInventory(fixtureRoot("laptop")), [
      { vendor: "Intel", vramBytes: null, pciId: "8086:a7a0", driver: "i915", busId: "0000:00:02.0" },
      { vendor: "AMD", vramBytes: 4_294_967_296, pciId: "1002:743f", driver: "amdgpu", busId: "0000:03:00.0" },
    ]);
  });

  test("without nvidia-smi the NVIDIA card is still listed, from sysfs", async () => {
    const direct = await collectDirectHardware({ root: WS, nvidiaSmi: null, runtimeDirs: [] });
    const inv = inventorySchema.parse(mapInventory({ ...(await recordedVm()), direct }, META));
    assert.deepEqual(
      inv.gpus.map((g) => [g.vendor, g.driver, g.busId, g.source]),
      [
        ["Intel", "i915", "0000:00:02.0", "sysfs"],
        ["NVIDIA", "nvidia", "0000:01:00.0", "sysfs"],
      ],
    );
    assert.deepEqual(inv.runtimes, []);
  });
});

describe("memory, battery and the rest of the inventory", () => {
  test("this VM: swap 0, no memory layout, no battery, no NPU subsystem", async () => {
    const direct = await collectDirectHardware({ root: fixtureRoot("vm"), nvidiaSmi: null, runtimeDirs: [] });
    const inv = inventorySchema.parse(mapInventory({ ...(await recordedVm()), direct }, META));
    assert.deepEqual(inv.memory, { totalBytes: 25_276_510_208, swapTotalBytes: 0, type: null, speedMTs: null });
    assert.equal(inv.npus, null);
    assert.equal(inv.battery, null);
    assert.deepEqual(inv.gpus, []);
    assert.deepEqual(inv.runtimes, []);
  });

  test("memory type and speed from the first populated DIMM; battery in Wh", async () => {
    const raw: RawSystemInfo = {
      ...(await recordedVm()),
      memLayout: [
        { size: 0, type: "Empty", clockSpeed: 0 },
        { size: 17_179_869_184, type: "DDR5", clockSpeed: 5600 },
      ] as Systeminformation.MemLayoutData[],
      battery: {
        hasBattery: true,
        cycleCount: 123,
        designedCapacity: 57000,
        capacityUnit: "mWh",
        voltage: 11.65,
        manufacturer: "SMP",
        model: "5B10W51867",
      } as Systeminformation.BatteryData,
    };
    const inv = inventorySchema.parse(mapInventory(raw, META));
    assert.equal(inv.memory.type, "DDR5");
    assert.equal(inv.memory.speedMTs, 5600);
    assert.deepEqual(inv.battery, { manufacturer: "SMP", model: "5B10W51867", designCapacityWh: 57, cycleCount: 123 });
    const mah = mapInventory(
      {
        ...raw,
        battery: { ...raw.battery, designedCapacity: 4000, capacityUnit: "mAh" } as Systeminformation.BatteryData,
      },
      META,
    );
    assert.equal(mah.battery?.designCapacityWh, 46.6); // 4000 mAh × 11.65 V
  });

  test("inventoryHash: stable across key order, changes with any value", async () => {
    const inv = mapInventory(await recordedVm(), META);
    const reordered = Object.fromEntries(Object.entries(inv).reverse());
    assert.equal(inventoryHash(inv), inventoryHash(reordered));
    assert.match(inventoryHash(inv), /^[0-9a-f]{64}$/);
    assert.notEqual(inventoryHash(inv), inventoryHash({ ...inv, memory: { ...inv.memory, totalBytes: 1 } }));
    assert.notEqual(inventoryHash(inv), inventoryHash({ ...inv, npus: [] }));
  });
});
