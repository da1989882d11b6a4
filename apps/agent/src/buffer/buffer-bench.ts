/**
 * Offline-buffer benchmark (not a test): append, reopen, replay and cap eviction on the real disk.
 * Run: node --import tsx apps/agent/src/buffer/buffer-bench.ts [samples]
 */
import pino from "pino";
import { DiskBuffer } from "./disk-buffer.ts";
import { tempDir, testSample } from "./test-helpers.ts";

const N = Number(process.argv[2] ?? 20_000);
const log = pino({ level: "silent" });
const cores = Array.from({ length: 16 }, (_, i) => i * 3.7);
const sample = (n: number) => testSample(n, { cpuPerCorePct: cores, aggregatedCount: 10 });
const ms = (t0: number) => Math.round(performance.now() - t0);
const out = (line: string) => process.stdout.write(`${line}\n`);

const { dir, remove } = tempDir("labfleet-bench-");
try {
  let b = DiskBuffer.open({ dir, log });
  let t0 = performance.now();
  for (let n = 1; n <= N; n++) b.appendTelemetry(sample(n));
  const appendMs = ms(t0);
  const bytes = b.stats().bytes;
  out(
    `append: ${N} roll-ups in ${appendMs} ms (${Math.round(N / (appendMs / 1000))}/s), ${Math.round(bytes / N)} B each`,
  );
  b.close();

  t0 = performance.now();
  b = DiskBuffer.open({ dir, log });
  out(`reopen: ${b.stats().records} records (${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${ms(t0)} ms`);

  t0 = performance.now();
  let batches = 0;
  for (let guard = 0; guard < N; guard++) {
    const batch = b.peekTelemetry(100);
    if (batch.length === 0) break;
    b.ack(batch.map((r) => r.seq));
    batches++;
  }
  out(`replay: ${batches} batches of 100 peeked and acked in ${ms(t0)} ms; ${b.stats().bytes} B left on disk`);
  b.close();

  b = DiskBuffer.open({ dir, log, maxBytes: 2 * 1024 * 1024 });
  t0 = performance.now();
  for (let n = 1; n <= N; n++) b.appendTelemetry(sample(n));
  const s = b.stats();
  out(
    `cap 2 MiB: ${N} appends in ${ms(t0)} ms; kept ${s.telemetry}, dropped ${s.droppedSamples}, ${s.events} loss event(s), ${s.bytes} B`,
  );
  b.close();
} finally {
  remove();
}
