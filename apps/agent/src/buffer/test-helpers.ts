import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentEvent, TelemetrySample } from "@labfleet/protocol";
import { telemetrySampleSchema } from "@labfleet/protocol";

/** Shared by the buffer's tests and its crash child: a valid sample and event with a recognisable number. */
export function testSample(n: number, overrides: Partial<TelemetrySample> = {}): TelemetrySample {
  return telemetrySampleSchema.parse({
    ts: 1_764_000_000_000 + n * 1000,
    cpuLoadPct: n % 100,
    cpuPerCorePct: [n % 100, 0],
    loadAvg1: 0.5,
    memTotalBytes: 8_000_000_000,
    memUsedBytes: 2_000_000_000 + n,
    memAvailableBytes: 6_000_000_000 - n,
    cpuTempC: 40 + (n % 10),
    uptimeS: 100 + n,
    ...overrides,
  });
}

export function testEvent(n: number): AgentEvent {
  return {
    key: `event-key-${String(n).padStart(6, "0")}`,
    ts: 1_764_000_000_000 + n,
    kind: "collector.failed",
    data: { n },
  };
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
