import { readFile } from "node:fs/promises";
import { arch, availableParallelism, cpus, release, totalmem, type } from "node:os";
import type { EnvironmentCard, ModelRuntime } from "@labfleet/protocol";
import { AGENT_VERSION } from "../version.ts";

/** The distribution's name ("Debian GNU/Linux 12 (bookworm)") where /etc/os-release has one, else the OS type. */
async function osName(): Promise<string> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (m?.[1]) return m[1].slice(0, 200);
  } catch {
    // Not Linux, or no os-release: the kernel's own name is still true.
  }
  return type();
}

/** The threads a run really gets: what it asked for, never more than the cores this process may use. */
export function effectiveThreads(requested: number | undefined): number | null {
  return requested === undefined ? null : Math.min(requested, availableParallelism());
}

export async function environmentCard(o: {
  deviceId: string;
  runtime: ModelRuntime;
  runtimeVersion: string;
  executionProvider: string;
  threads: number | null;
  batchSize: number;
  files: Array<{ name: string; sha256: string }>;
}): Promise<EnvironmentCard> {
  return {
    deviceId: o.deviceId,
    agentVersion: AGENT_VERSION,
    nodeVersion: process.version,
    os: await osName(),
    kernel: release().slice(0, 200),
    arch: arch(),
    cpuModel: (cpus()[0]?.model ?? "unknown").trim().slice(0, 200) || "unknown",
    cpuCores: availableParallelism(),
    memTotalBytes: totalmem(),
    runtime: o.runtime,
    runtimeVersion: o.runtimeVersion.slice(0, 64),
    executionProvider: o.executionProvider,
    threads: o.threads,
    batchSize: o.batchSize,
    modelSha256: Object.fromEntries(o.files.map((f) => [f.name, f.sha256])),
  };
}
