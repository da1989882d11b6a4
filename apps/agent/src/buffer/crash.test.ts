import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { captureLogger } from "../testing/capture-logger.ts";
import { DiskBuffer } from "./disk-buffer.ts";
import { tempDir } from "./test-helpers.ts";

const child = join(fileURLToPath(new URL(".", import.meta.url)), "crash-child.ts");
/** The child is killed once it has confirmed this many appends (or when it ends its own bounded loop). */
const KILL_AFTER = 3_000;

test("kill -9 while appending: every record whose append returned is there on reopen, and nothing crashes", {
  timeout: 60_000,
}, async () => {
  const { dir, remove } = tempDir("labfleet-crash-");
  try {
    let confirmed = 0;
    const proc = spawn(process.execPath, ["--import", "tsx", child, dir], { stdio: ["ignore", "pipe", "inherit"] });
    let pending = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on("exit", (_code, signal) => resolve(signal)));
    proc.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) {
        const n = Number(l.split(" ")[1]);
        if (n > confirmed) confirmed = n;
      }
      if (confirmed >= KILL_AFTER && proc.exitCode === null) proc.kill("SIGKILL");
    });
    const signal = await exited;
    assert.equal(signal, "SIGKILL", "the child was killed mid-loop");
    assert.ok(confirmed >= KILL_AFTER);

    const { log, lines } = captureLogger("debug");
    const buffer = DiskBuffer.open({ dir, log, segmentBytes: 64 * 1024 });
    try {
      const samples = buffer.peekTelemetry(500);
      const all = [...samples];
      for (let guard = 0; guard < 1_000; guard++) {
        const next = buffer.peekTelemetry(500, new Set(all.map((r) => r.seq)));
        if (next.length === 0) break;
        all.push(...next);
      }
      const events = buffer.peekEvents(500, new Set());
      const allEvents = [...events];
      for (let guard = 0; guard < 1_000; guard++) {
        const next = buffer.peekEvents(500, new Set(allEvents.map((r) => r.seq)));
        if (next.length === 0) break;
        allEvents.push(...next);
      }
      const seen = new Set([
        ...all.map((r) => (r.value.uptimeS ?? 0) - 100),
        ...allEvents.map((r) => Number(r.value.data.n)),
      ]);
      const missing: number[] = [];
      for (let n = 1; n <= confirmed; n++) if (!seen.has(n)) missing.push(n);
      assert.deepEqual(missing, [], "records confirmed before the kill are all there");
      // In order, oldest first, and nothing made up: at most the one append in progress beyond the confirmed.
      const order = all.map((r) => (r.value.uptimeS ?? 0) - 100);
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
      );
      assert.ok(Math.max(...seen) <= confirmed + 64, "no record appears that was never written");
      assert.ok(!lines.some((l) => l.level >= 50), "no error on reopen");
      // And the reopened buffer takes new records.
      buffer.appendTelemetry(all[0]?.value ?? assert.fail("no samples"));
    } finally {
      buffer.close();
    }
  } finally {
    remove();
  }
});
