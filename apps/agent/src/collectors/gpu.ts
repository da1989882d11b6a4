import { join } from "node:path";
import type { GpuSample } from "@labfleet/protocol";
import { linkName, numbered, readInt } from "./sysfs.ts";

/** AMD and Intel GPUs through /sys/class/drm/cardN/device (amdgpu exposes load and VRAM; i915 little). */

export interface DrmGpuFiles {
  name: string;
  busy: string;
  vramUsed: string;
  vramTotal: string;
  temp: string | null;
  power: string | null;
}

/** GPUs under /sys/class/drm, in card order; NVIDIA's cards are left to nvidia-smi. */
export async function discoverDrmGpus(root: string): Promise<DrmGpuFiles[]> {
  const base = join(root, "sys/class/drm");
  const out: DrmGpuFiles[] = [];
  for (const card of await numbered(base, "card")) {
    const dev = join(base, card, "device");
    const driver = await linkName(join(dev, "driver"));
    if (!driver || driver === "nvidia" || driver === "nouveau") continue;
    let temp: string | null = null;
    let power: string | null = null;
    const hw = (await numbered(join(dev, "hwmon"), "hwmon"))[0];
    if (hw) {
      const dir = join(dev, "hwmon", hw);
      if ((await readInt(join(dir, "temp1_input"))) !== null) temp = join(dir, "temp1_input");
      for (const f of ["power1_average", "power1_input"]) {
        if (!power && (await readInt(join(dir, f))) !== null) power = join(dir, f);
      }
    }
    out.push({
      name: driver,
      busy: join(dev, "gpu_busy_percent"),
      vramUsed: join(dev, "mem_info_vram_used"),
      vramTotal: join(dev, "mem_info_vram_total"),
      temp,
      power,
    });
  }
  return out;
}

export async function readDrmGpu(g: DrmGpuFiles): Promise<Omit<GpuSample, "index">> {
  const [busy, used, total, temp, power] = await Promise.all([
    readInt(g.busy),
    readInt(g.vramUsed),
    readInt(g.vramTotal),
    g.temp ? readInt(g.temp) : null,
    g.power ? readInt(g.power) : null,
  ]);
  return {
    name: g.name,
    utilPct: busy !== null && busy >= 0 && busy <= 100 ? busy : null,
    memUsedBytes: used !== null && used >= 0 ? used : null,
    // An APU's "VRAM" is a carve-out of system memory, still what the GPU has for itself.
    memTotalBytes: total !== null && total > 0 ? total : null,
    tempC: temp !== null && temp > 0 && temp < 200_000 ? temp / 1000 : null,
    powerW: power !== null && power >= 0 ? Math.round(power / 1e4) / 100 : null,
  };
}
