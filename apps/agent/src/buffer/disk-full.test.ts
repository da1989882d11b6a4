import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { captureLogger } from "../testing/capture-logger.ts";
import { DiskBuffer } from "./disk-buffer.ts";
import { tempDir, testEvent, testSample } from "./test-helpers.ts";

/** A real full disk: a 64 KiB tmpfs. Mounting needs root (CAP_SYS_ADMIN); elsewhere the test says so and skips. */
function mountTinyDisk(dir: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (e) {
    return `cannot mount a tmpfs here (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`;
  }
}

test("ENOSPC while buffering: logged once, the oldest telemetry goes, every event stays, no throw", async (t) => {
  const { dir, remove } = tempDir("labfleet-full-");
  const why = process.platform === "linux" ? mountTinyDisk(dir) : "not Linux";
  if (why) {
    t.skip(`skipped: ${why}`);
    remove();
    return;
  }
  const { log, lines } = captureLogger("debug");
  let buffer: DiskBuffer | undefined;
  try {
    // The cap is far above the disk: only the disk can say no.
    buffer = DiskBuffer.open({ dir, log, maxBytes: 64 * 1024 * 1024, segmentBytes: 8 * 1024 });
    for (let n = 1; n <= 600; n++) {
      if (n % 10 === 0) buffer.appendEvent(testEvent(n));
      else buffer.appendTelemetry(testSample(n));
    }
    const events = buffer.peekEvents(500).map((r) => r.value);
    assert.deepEqual(
      events.filter((e) => e.kind === "collector.failed").map((e) => e.key),
      Array.from({ length: 60 }, (_, i) => testEvent((i + 1) * 10).key),
      "every event is kept, in order",
    );
    const telemetry = buffer.peekTelemetry(500).map((r) => (r.value.uptimeS ?? 0) - 100);
    assert.ok(telemetry.includes(599), "the newest sample is kept");
    assert.ok(!telemetry.includes(1), "the oldest sample made room");
    const dropped = events
      .filter((e) => e.kind === "buffer.loss")
      .reduce((n, e) => n + Number(e.data.droppedSamples), 0);
    assert.ok(
      dropped > 0 && buffer.stats().droppedSamples >= dropped,
      `loss ${dropped} ${JSON.stringify(buffer.stats())} ${JSON.stringify(events.filter((e) => e.kind === "buffer.loss"))}`,
    );
    assert.equal(lines.filter((l) => l.msg.startsWith("the disk is full")).length, 1, "logged once");
    // The acks make room again, and the buffer carries on.
    buffer.ack(buffer.peekTelemetry(500).map((r) => r.seq));
    buffer.appendTelemetry(testSample(601));
  } finally {
    buffer?.close();
    execFileSync("umount", ["-l", dir]);
    remove();
  }
});
