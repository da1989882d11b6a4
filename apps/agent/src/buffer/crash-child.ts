/**
 * Test helper run as a child process by crash.test.ts: appends records to a buffer in a bounded loop and prints
 * "ok <n>" after each append returned, until the parent kills it with SIGKILL.
 */
import pino from "pino";
import { DiskBuffer } from "./disk-buffer.ts";
import { testEvent, testSample } from "./test-helpers.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: crash-child.ts DIR");
const buffer = DiskBuffer.open({ dir, log: pino({ level: "silent" }), segmentBytes: 64 * 1024 });
for (let n = 1; n <= 200_000; n++) {
  if (n % 10 === 0) buffer.appendEvent(testEvent(n));
  else buffer.appendTelemetry(testSample(n));
  process.stdout.write(`ok ${n}\n`);
}
