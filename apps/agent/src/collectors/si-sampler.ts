import { loadavg, uptime } from "node:os";
import type { TelemetrySampleInput } from "@labfleet/protocol";
import type { Sampler } from "./sampler.ts";

const round1 = (n: number) => Math.round(Math.min(100, Math.max(0, n)) * 10) / 10;

/**
 * The portable sampler for machines without /proc. systeminformation spawns processes for temperature on
 * some platforms, which is why Linux does not use it.
 */
export function createSystemInformationSampler(): Sampler {
  return {
    kind: "systeminformation",
    async sample(): Promise<TelemetrySampleInput> {
      const si = (await import("systeminformation")).default;
      const ts = Date.now();
      const [load, mem, temp] = await Promise.all([si.currentLoad(), si.mem(), si.cpuTemperature().catch(() => null)]);
      const totalBytes = Math.max(0, Math.round(mem.total));
      const availableBytes = Math.min(totalBytes, Math.max(0, Math.round(mem.available)));
      const main = temp?.main;
      return {
        ts,
        cpuLoadPct: round1(load.currentLoad),
        cpuPerCorePct: load.cpus.map((c) => round1(c.load)),
        // Windows has no load average and reports zeros.
        loadAvg1: process.platform === "win32" ? null : (loadavg()[0] ?? null),
        memTotalBytes: totalBytes,
        memUsedBytes: totalBytes - availableBytes,
        memAvailableBytes: availableBytes,
        // systeminformation reports an absent sensor as null, -1 or 0 depending on platform.
        cpuTempC: typeof main === "number" && main > 0 && main < 125 ? main : null,
        uptimeS: uptime(),
      };
    },
  };
}
