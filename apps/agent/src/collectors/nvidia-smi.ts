import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { GpuSample } from "@labfleet/protocol";

/** NVIDIA GPUs through nvidia-smi: the only portable way to their numbers without loading NVML. */

export const SAMPLE_QUERY = "index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw";
export const INVENTORY_QUERY = "index,name,memory.total,driver_version,pci.bus_id";
const MIB = 1024 * 1024;

/** nvidia-smi's way of saying "no value": [N/A], [Not Supported], N/A, "". */
function num(v: string | undefined): number | null {
  const t = v?.trim() ?? "";
  if (t === "" || /N\/A|Not Supported|Unknown|ERR/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function str(v: string | undefined): string | null {
  const t = v?.trim() ?? "";
  return t === "" || /^\[?(N\/A|Not Supported)\]?$/i.test(t) ? null : t.slice(0, 128);
}

function rows(csv: string): string[][] {
  return csv
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(",").map((c) => c.trim()));
}

/** Parses `--query-gpu=${SAMPLE_QUERY} --format=csv,noheader,nounits`. */
export function parseNvidiaSample(csv: string): Omit<GpuSample, "index">[] {
  return rows(csv)
    .filter((r) => r.length >= 7)
    .slice(0, 16)
    .map(([, name, util, used, total, temp, power]) => {
      const u = num(util);
      const mu = num(used);
      const mt = num(total);
      const t = num(temp);
      const p = num(power);
      return {
        name: str(name),
        utilPct: u !== null && u >= 0 && u <= 100 ? u : null,
        memUsedBytes: mu !== null && mu >= 0 ? mu * MIB : null,
        memTotalBytes: mt !== null && mt > 0 ? mt * MIB : null,
        tempC: t !== null && t > -50 && t < 200 ? t : null,
        powerW: p !== null && p >= 0 && p < 10_000 ? p : null,
      };
    });
}

export interface NvidiaInventoryRow {
  name: string | null;
  vramBytes: number | null;
  driverVersion: string | null;
  /** As nvidia-smi prints it: 00000000:01:00.0. */
  busId: string | null;
}

/** Parses `--query-gpu=${INVENTORY_QUERY} --format=csv,noheader,nounits`. */
export function parseNvidiaInventory(csv: string): NvidiaInventoryRow[] {
  return rows(csv)
    .filter((r) => r.length >= 5)
    .slice(0, 16)
    .map(([, name, total, driver, bus]) => {
      const mt = num(total);
      return {
        name: str(name),
        vramBytes: mt !== null && mt > 0 ? mt * MIB : null,
        driverVersion: str(driver),
        busId: str(bus),
      };
    });
}

/** nvidia-smi on PATH, or null: looked for once per process by the callers. */
export function findNvidiaSmi(pathEnv = process.env.PATH ?? ""): string | null {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "nvidia-smi");
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Runs nvidia-smi with one query; resolves null on any failure or after `timeoutMs` (a wedged driver hangs it). */
export function runNvidiaSmi(binary: string, query: string, timeoutMs = 3_000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      binary,
      [`--query-gpu=${query}`, "--format=csv,noheader,nounits"],
      { timeout: timeoutMs, maxBuffer: 64 * 1024, windowsHide: true },
      (err, stdout) => resolve(err ? null : stdout),
    );
  });
}

/**
 * nvidia-smi costs tens of milliseconds and a process: it is run at most every `minIntervalMs`, in the
 * background, and a sample takes the last answer. Only the very first sample waits for it.
 */
export class NvidiaSampler {
  private last: Omit<GpuSample, "index">[] = [];
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | null = null;
  private first = true;
  private failed = false;

  constructor(
    private readonly binary: string,
    private readonly now: () => number = () => performance.now(),
    private readonly minIntervalMs = 5_000,
    private readonly timeoutMs = 3_000,
  ) {}

  async read(): Promise<Omit<GpuSample, "index">[]> {
    // A binary without a working driver fails every time: after a failure, try again only once a minute.
    const wait = this.failed ? Math.max(this.minIntervalMs, 60_000) : this.minIntervalMs;
    if (!this.running && this.now() - this.lastRunAt >= wait) {
      this.lastRunAt = this.now();
      this.running = runNvidiaSmi(this.binary, SAMPLE_QUERY, this.timeoutMs).then((out) => {
        // A failed run keeps nothing: stale numbers would look live.
        this.failed = out === null;
        this.last = out === null ? [] : parseNvidiaSample(out);
        this.running = null;
      });
    }
    if (this.first && this.running) {
      this.first = false;
      await this.running;
    }
    return this.last;
  }
}
