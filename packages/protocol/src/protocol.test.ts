import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  agentHandshakeSchema,
  enrollRequestSchema,
  inventorySchema,
  LIMITS,
  PROTOCOL_VERSION,
  type TelemetrySampleInput,
  telemetryReportSchema,
  telemetrySampleSchema,
} from "./index.ts";

const good: TelemetrySampleInput = {
  ts: 1_764_000_000_000,
  cpuLoadPct: 42.5,
  cpuPerCorePct: [40, 45],
  loadAvg1: 0.8,
  memTotalBytes: 16 * 1024 ** 3,
  memUsedBytes: 4 * 1024 ** 3,
  memAvailableBytes: 12 * 1024 ** 3,
  cpuTempC: 51.5,
  uptimeS: 3600,
};

describe("telemetry sample", () => {
  test("accepts a real sample, and null where the hardware has no sensor", () => {
    const parsed = telemetrySampleSchema.parse(good);
    assert.deepEqual({ ...parsed, ...good }, parsed, "every field sent comes through unchanged");
    assert.equal(telemetrySampleSchema.parse({ ...good, cpuTempC: null }).cpuTempC, null);
  });

  test("fields an older agent does not send are null or empty, never a made-up number", () => {
    const parsed = telemetrySampleSchema.parse(good);
    assert.equal(parsed.powerW, null);
    assert.equal(parsed.throttling, null);
    assert.equal(parsed.hottestTempC, null);
    assert.deepEqual(parsed.gpus, []);
    assert.deepEqual(parsed.fans, []);
  });

  test("refuses an absent temperature: it must be null, never left out or made up", () => {
    const { cpuTempC: _, ...withoutTemp } = good;
    assert.equal(telemetrySampleSchema.safeParse(withoutTemp).success, false);
  });

  test("refuses values outside physical bounds and wrong types", () => {
    for (const bad of [
      { ...good, cpuLoadPct: 101 },
      { ...good, cpuLoadPct: -1 },
      { ...good, cpuPerCorePct: [50, "60"] },
      { ...good, memUsedBytes: 1.5 },
      { ...good, memTotalBytes: -1 },
      { ...good, cpuTempC: 500 },
      { ...good, ts: 123 },
      { ...good, ts: "2026-01-01" },
    ]) {
      assert.equal(telemetrySampleSchema.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80));
    }
  });

  test("a report carries between one and maxSamplesPerBatch samples", () => {
    assert.equal(telemetryReportSchema.safeParse({ samples: [] }).success, false);
    assert.equal(telemetryReportSchema.safeParse({ samples: [good] }).success, true);
    const tooMany = new Array(LIMITS.maxSamplesPerBatch + 1).fill(good);
    assert.equal(telemetryReportSchema.safeParse({ samples: tooMany }).success, false);
  });
});

describe("inventory", () => {
  const inv = {
    hostname: "seat-a1",
    system: { manufacturer: "ACME", model: "Mini" },
    os: { platform: "linux", distro: "Debian GNU/Linux", release: "12", kernel: "6.1.0-18-amd64", arch: "x64" },
    cpu: {
      manufacturer: "AMD",
      brand: "Ryzen 7 7840U",
      cores: 16,
      physicalCores: 8,
      speedGHz: 3.3,
      speedMaxGHz: 5.1,
      flags: ["avx2", "avx512f"],
    },
    memory: { totalBytes: 32 * 1024 ** 3 },
    disks: [{ device: "/dev/nvme0n1", name: "Samsung", type: "NVMe", sizeBytes: 512e9 }],
    gpus: [{ vendor: "AMD", model: "Radeon 780M", vramBytes: null }],
    network: [
      { iface: "eth0", mac: "aa:bb:cc:dd:ee:ff", ipv4: "127.0.0.1", ipv6: null, speedMbps: 1000, virtual: false },
    ],
    agent: { version: "0.1.0", nodeVersion: "v20.20.2" },
  };

  test("defaults `simulated` to false, so only the simulator marks its devices", () => {
    assert.equal(inventorySchema.parse(inv).simulated, false);
    assert.equal(inventorySchema.parse({ ...inv, simulated: true }).simulated, true);
  });

  test("refuses an empty hostname and unbounded lists", () => {
    assert.equal(inventorySchema.safeParse({ ...inv, hostname: "" }).success, false);
    assert.equal(inventorySchema.safeParse({ ...inv, gpus: new Array(17).fill(inv.gpus[0]) }).success, false);
  });
});

describe("handshake and enrollment", () => {
  test("the handshake needs every field", () => {
    const hs = { deviceId: "d1", secret: "s", protocolVersion: PROTOCOL_VERSION, agentVersion: "0.1.0" };
    assert.equal(agentHandshakeSchema.safeParse(hs).success, true);
    for (const key of Object.keys(hs)) {
      const partial: Record<string, unknown> = { ...hs };
      delete partial[key];
      assert.equal(agentHandshakeSchema.safeParse(partial).success, false, `without ${key}`);
    }
  });

  test("an enrollment request refuses a short token and a non-integer version", () => {
    const req = { token: "lfe_abcdefgh", hostname: "h", protocolVersion: 1, agentVersion: "0.1.0" };
    assert.equal(enrollRequestSchema.safeParse(req).success, true);
    assert.equal(enrollRequestSchema.safeParse({ ...req, token: "short" }).success, false);
    assert.equal(enrollRequestSchema.safeParse({ ...req, protocolVersion: 1.5 }).success, false);
  });
});
