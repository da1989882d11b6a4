import assert from "node:assert/strict";
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { captureLogger } from "../testing/capture-logger.ts";
import { DiskBuffer } from "./disk-buffer.ts";
import { encodeFrame, HEADER_BYTES } from "./frame.ts";
import { tempDir, testEvent, testSample } from "./test-helpers.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function open(dir: string, o: { maxBytes?: number; segmentBytes?: number } = {}) {
  const captured = captureLogger("debug");
  const buffer = DiskBuffer.open({ dir, log: captured.log, ...o });
  cleanups.push(() => buffer.close());
  return { buffer, ...captured };
}

function fresh(prefix = "labfleet-buf-") {
  const t = tempDir(prefix);
  cleanups.push(t.remove);
  return t.dir;
}

const segmentFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.startsWith("seg-"))
    .sort()
    .map((n) => join(dir, n));

describe("DiskBuffer", () => {
  test("keeps telemetry and events in order across a reopen; an acked record is gone for good", () => {
    const dir = fresh();
    const a = open(dir).buffer;
    for (let n = 1; n <= 20; n++) {
      if (n % 5 === 0) a.appendEvent(testEvent(n));
      else a.appendTelemetry(testSample(n));
    }
    const first = a.peekTelemetry(3);
    assert.deepEqual(
      first.map((r) => r.value.uptimeS),
      [101, 102, 103],
    );
    a.ack(first.map((r) => r.seq));
    a.close();

    const b = open(dir).buffer;
    assert.deepEqual(
      b.peekTelemetry(100).map((r) => r.value.uptimeS),
      [104, 106, 107, 108, 109, 111, 112, 113, 114, 116, 117, 118, 119],
    );
    assert.deepEqual(
      b.peekEvents(100).map((r) => r.value.key),
      [5, 10, 15, 20].map((n) => testEvent(n).key),
    );
    // In-flight records are skipped by the next peek.
    const inFlight = new Set(b.peekTelemetry(2).map((r) => r.seq));
    assert.deepEqual(
      b.peekTelemetry(2, inFlight).map((r) => r.value.uptimeS),
      [107, 108],
    );
    assert.equal(b.stats().records, 17);
  });

  test("fully acked segment files are removed", () => {
    const dir = fresh();
    const { buffer } = open(dir, { segmentBytes: 2048 });
    for (let n = 1; n <= 60; n++) buffer.appendTelemetry(testSample(n));
    assert.ok(segmentFiles(dir).length > 3);
    buffer.ack(buffer.peekTelemetry(500).map((r) => r.seq));
    assert.equal(buffer.stats().records, 0);
    assert.equal(segmentFiles(dir).length, 1, "only the active file is left");
  });

  test("over the cap: the oldest telemetry goes first, counted in a buffer.loss event; events all stay", () => {
    const dir = fresh();
    const cap = 16 * 1024;
    const { buffer, lines } = open(dir, { maxBytes: cap, segmentBytes: 2048 });
    for (let n = 1; n <= 400; n++) {
      if (n % 20 === 0) buffer.appendEvent(testEvent(n));
      else buffer.appendTelemetry(testSample(n));
    }
    const stats = buffer.stats();
    assert.ok(stats.bytes <= cap, `${stats.bytes} bytes on disk for a ${cap} cap`);
    const kept = buffer.peekTelemetry(500).map((r) => r.value.uptimeS ?? 0);
    assert.ok(kept.length > 0 && kept.length < 380);
    assert.ok(kept.includes(499), "the newest sample (n = 399) is kept");
    // What is kept is a contiguous run of the newest: eviction took the oldest.
    const firstKept = kept[0] ?? 0;
    const expected = [];
    for (let n = firstKept - 100; n < 400; n++) if (n % 20 !== 0) expected.push(n + 100);
    assert.deepEqual(kept, expected);

    const events = buffer.peekEvents(500).map((r) => r.value);
    const userEvents = events.filter((e) => e.kind === "collector.failed").map((e) => e.key);
    assert.deepEqual(
      userEvents,
      Array.from({ length: 20 }, (_, i) => testEvent((i + 1) * 20).key),
      "every event is kept, in order",
    );
    const losses = events.filter((e) => e.kind === "buffer.loss");
    const dropped = losses.reduce((n, e) => n + Number(e.data.droppedSamples), 0);
    assert.equal(dropped, 380 - kept.length, "every dropped sample is counted");
    assert.equal(stats.droppedSamples, dropped);
    assert.ok(lines.some((l) => l.msg === "the offline buffer dropped its oldest telemetry"));
    // The count survives a restart: the loss events are in the buffer like any other event.
    buffer.close();
    const again = open(dir, { maxBytes: cap, segmentBytes: 2048 }).buffer;
    assert.equal(again.peekEvents(500).filter((e) => e.value.kind === "buffer.loss").length, losses.length);
  });

  test("events alone may exceed the cap: they are never dropped", () => {
    const dir = fresh();
    const { buffer } = open(dir, { maxBytes: 4096, segmentBytes: 1024 });
    for (let n = 1; n <= 100; n++) buffer.appendEvent(testEvent(n));
    assert.equal(buffer.peekEvents(500).length, 100);
    assert.ok(buffer.stats().bytes > 4096);
  });

  test("a torn last record (a write cut short) is skipped on open, and appends go on cleanly", () => {
    const dir = fresh();
    const a = open(dir).buffer;
    for (let n = 1; n <= 5; n++) a.appendTelemetry(testSample(n));
    a.close();
    const [file] = segmentFiles(dir).slice(-1);
    assert.ok(file);
    const frame = encodeFrame({ q: 99, k: "t", d: testSample(99) });
    const fd = openSync(file, "a");
    writeSync(fd, frame.subarray(0, frame.length - 7));
    closeSync(fd);

    const { buffer: b, lines } = open(dir);
    assert.equal(b.peekTelemetry(100).length, 5);
    assert.ok(lines.some((l) => l.msg === "skipped damaged records in the offline buffer"));
    b.appendTelemetry(testSample(6));
    b.close();
    const c = open(dir).buffer;
    assert.deepEqual(
      c.peekTelemetry(100).map((r) => r.value.uptimeS),
      [101, 102, 103, 104, 105, 106],
    );
  });

  test("a torn header (a few bytes) at the end is skipped too", () => {
    const dir = fresh();
    const a = open(dir).buffer;
    a.appendEvent(testEvent(1));
    a.close();
    const [file] = segmentFiles(dir).slice(-1);
    assert.ok(file);
    const fd = openSync(file, "a");
    writeSync(fd, Buffer.from([0x4c, 0x46, 0x20]));
    closeSync(fd);
    assert.equal(open(dir).buffer.peekEvents(10).length, 1);
  });

  test("a corrupt record in the middle (bad CRC, or a garbage length) is skipped; the rest is kept", () => {
    const dir = fresh();
    const a = open(dir).buffer;
    for (let n = 1; n <= 10; n++) a.appendTelemetry(testSample(n));
    a.close();
    const [file] = segmentFiles(dir).slice(-1);
    assert.ok(file);
    const bytes = readFileSync(file);
    const frameLen = (at: number) => HEADER_BYTES + bytes.readUInt32LE(at + 2);
    const starts = [0];
    while (starts.length < 10) starts.push((starts.at(-1) ?? 0) + frameLen(starts.at(-1) ?? 0));
    const third = starts[2] ?? 0;
    const seventh = starts[6] ?? 0;
    const at = third + HEADER_BYTES + 5;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at); // flip a payload byte: the CRC no longer matches
    bytes.writeUInt32LE(0x7fffffff, seventh + 2); // a length that runs past the end of the file
    writeFileSync(file, bytes);

    const { buffer, lines } = open(dir);
    assert.deepEqual(
      buffer.peekTelemetry(100).map((r) => r.value.uptimeS),
      [101, 102, 104, 105, 106, 108, 109, 110],
    );
    assert.ok(lines.some((l) => l.msg === "skipped damaged records in the offline buffer"));
    assert.ok(statSync(file).size === bytes.length, "a mid-file corruption is not truncated away");
  });

  test("the cap can be lowered at run time (the server's bufferMaxBytes)", () => {
    const dir = fresh();
    const { buffer } = open(dir, { maxBytes: 1024 * 1024, segmentBytes: 2048 });
    for (let n = 1; n <= 200; n++) buffer.appendTelemetry(testSample(n));
    const before = buffer.stats().telemetry;
    buffer.setMaxBytes(8 * 1024);
    assert.ok(buffer.stats().bytes <= 8 * 1024);
    assert.ok(buffer.stats().telemetry < before);
    assert.equal(buffer.peekEvents(10)[0]?.value.kind, "buffer.loss");
  });
});
