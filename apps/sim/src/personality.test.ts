import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inventorySchema, telemetrySampleSchema } from "@labfleet/protocol";
import { makeHardware, makeInventory } from "./hardware.ts";
import { DeviceModel, HOT_TEMP_C, PERSONALITIES, type Personality, pickPersonality } from "./personality.ts";
import { deviceSeed, Rng } from "./rng.ts";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function run(seed: number, personality: Personality, seconds: number, stepMs = 1000) {
  const model = new DeviceModel(seed, makeHardware(seed, 0), personality);
  const samples = [];
  for (let i = 0; i < seconds * (1000 / stepMs); i++) samples.push(model.sample(T0 + i * stepMs));
  return { model, samples };
}

describe("simulated device model", () => {
  it("gives the same samples for the same seed, and different ones for another seed", () => {
    const a = run(42, "busy", 300).samples;
    const b = run(42, "busy", 300).samples;
    const c = run(43, "busy", 300).samples;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(makeHardware(deviceSeed(7, 3), 3), makeHardware(deviceSeed(7, 3), 3));
  });

  it("keeps every sample of every personality inside the protocol's bounds", () => {
    for (const personality of PERSONALITIES) {
      for (const seed of [1, 2, 3, 99, 12345]) {
        // 2 hours at 10 s and 10 minutes at 1 s: both paces the server asks for.
        for (const [seconds, step] of [
          [7200, 10_000],
          [600, 1000],
        ] as const) {
          const { samples } = run(seed, personality, seconds, step);
          for (const s of samples) {
            const parsed = telemetrySampleSchema.safeParse(s);
            assert.ok(parsed.success, `${personality}/${seed}: ${JSON.stringify(parsed.error?.issues[0])}`);
            assert.ok(s.memUsedBytes <= s.memTotalBytes);
            assert.ok((s.cpuFreqMHz ?? 0) <= (s.cpuFreqMaxMHz ?? Number.POSITIVE_INFINITY));
          }
        }
      }
    }
  });

  it("reports a plausible, varied load: a random walk that neither sticks nor jumps", () => {
    const { samples } = run(5, "steady", 600);
    const loads = samples.map((s) => s.cpuLoadPct);
    assert.ok(new Set(loads).size > 100, "load varies");
    const maxStep = Math.max(...loads.slice(1).map((v, i) => Math.abs(v - (loads[i] ?? v))));
    assert.ok(maxStep < 30, `one-second steps stay small (largest ${maxStep})`);
  });

  it("a throttler heats up under load toward 95 °C, throttles and drops its frequency, then recovers", () => {
    // Seeds whose hardware has a temperature sensor (a few machines lack one, on purpose).
    const seed = [1, 2, 3, 4, 5, 6].find((s) => makeHardware(s, 0).hasTempSensor) as number;
    const { samples } = run(seed, "throttler", 1800);
    const throttled = samples.filter((s) => s.throttling === true);
    assert.ok(throttled.length > 0, "it throttles at some point");
    for (const s of throttled) assert.ok((s.cpuTempC ?? 0) >= 84, `throttling only when hot (${s.cpuTempC} °C)`);
    const maxTemp = Math.max(...samples.map((s) => s.cpuTempC ?? 0));
    assert.ok(maxTemp >= 90 && maxTemp <= 99, `peak ${maxTemp} °C`);
    const freqHot = Math.min(...throttled.map((s) => s.cpuFreqMHz ?? 0));
    const max = samples[0]?.cpuFreqMaxMHz ?? 0;
    assert.ok(freqHot < max * 0.8, `frequency drops when throttled (${freqHot} of ${max} MHz)`);
    assert.ok(samples.some((s, i) => i > 0 && s.throttling === false && samples[i - 1]?.throttling === true));
    const events = samples.map((s) => s.throttleEventsTotal ?? 0);
    assert.deepEqual(
      events,
      [...events].sort((a, b) => a - b),
      "the kernel's throttle counter only grows",
    );
  });

  it("a hot device reports 95 °C and throttling on every sample", () => {
    const seed = [1, 2, 3, 4, 5, 6].find((s) => makeHardware(s, 0).hasTempSensor) as number;
    for (const s of run(seed, "hot", 60).samples) {
      assert.equal(s.cpuTempC, HOT_TEMP_C);
      assert.equal(s.throttling, true);
    }
  });

  it("a flaky device goes offline for a while and comes back; others never do", () => {
    const flaky = new DeviceModel(8, makeHardware(8, 0), "flaky");
    const steady = new DeviceModel(8, makeHardware(8, 0), "steady");
    const states: boolean[] = [];
    for (let t = 0; t < 3600; t += 5) {
      states.push(flaky.isOnline(T0 + t * 1000));
      assert.equal(steady.isOnline(T0 + t * 1000), true);
    }
    const wentOffline = states.some((s, i) => i > 0 && !s && states[i - 1]);
    const cameBack = states.some((s, i) => i > 0 && s && !states[i - 1]);
    assert.ok(wentOffline && cameBack, "at least one outage and one return in an hour");
    assert.ok(states.filter(Boolean).length > states.length / 2, "mostly online");
  });

  it("hides what the hardware lacks as null, never a made-up zero", () => {
    let checked = 0;
    for (let seed = 1; seed < 200 && checked < 2; seed++) {
      const hw = makeHardware(seed, 0);
      if (hw.hasTempSensor && hw.hasPower && hw.gpu) continue;
      const s = new DeviceModel(seed, hw, "steady").sample(T0);
      if (!hw.hasTempSensor) assert.equal(s.cpuTempC, null);
      if (!hw.hasPower) assert.equal(s.powerW, null);
      if (!hw.gpu) assert.deepEqual(s.gpus, []);
      checked++;
    }
    assert.equal(checked, 2);
  });

  it("names the inventory as simulated and it passes the protocol's schema", () => {
    const inv = inventorySchema.parse(makeInventory(makeHardware(3, 11), 11, "0.1.0-sim"));
    assert.equal(inv.simulated, true);
    assert.equal(inv.hostname, "sim-012");
    assert.match(inv.system.manufacturer ?? "", /simulator/i);
  });

  it("mixes personalities across a fleet", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const p = pickPersonality(new Rng(deviceSeed(1, i) ^ 0xbeef));
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (const p of ["steady", "busy", "throttler", "flaky"]) assert.ok((counts.get(p) ?? 0) > 25, p);
    assert.equal(counts.get("hot"), undefined, "hot is only ever forced");
  });
});
