import pino, { type Logger } from "pino";
import { enroll } from "./enroll.ts";
import { makeHardware, makeInventory, simHostname } from "./hardware.ts";
import { DeviceModel, type Personality, pickPersonality } from "./personality.ts";
import { deviceSeed, Rng } from "./rng.ts";
import { SimDevice } from "./sim-device.ts";
import { type DeviceCredential, defaultStateFile, readState, writeState } from "./state-file.ts";

export const SIM_AGENT_VERSION = "0.1.0-sim";
export const MAX_DEVICES = 5_000;
/** Enrollments in flight at once: enough to enroll a thousand devices in seconds without a stampede. */
const ENROLL_CONCURRENCY = 16;

export interface SimulatorOptions {
  /** Control plane base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** An enrollment token with maxUses of at least the number of devices that are not in the state file yet. */
  token?: string | null;
  devices: number;
  /** Where device credentials are kept; defaults to data/sim/<server>.json under the working directory. */
  stateFile?: string;
  /** Base seed of every device's hardware and personality. */
  seed?: number;
  /** Forces a personality on some devices (by index), e.g. `(i) => (i === 0 ? "hot" : undefined)`. */
  personalityFor?: (index: number) => Personality | undefined;
  /** Report at this pace whatever `config:updated` says (load tests); by default the server decides. */
  intervalMs?: number;
  /** Refuses a non-loopback URL unless set. */
  allowRemote?: boolean;
  log?: Logger;
}

export interface SimulatedDevice {
  index: number;
  hostname: string;
  deviceId: string;
  personality: Personality;
  readonly connected: boolean;
  readonly intervalMs: number;
  readonly stats: SimDevice["stats"];
  /** Set when the server refused the device (revoked, unknown credential). */
  readonly fatal: string | null;
}

export interface RunningSimulator {
  devices: SimulatedDevice[];
  /** How many devices enrolled in this run (the rest came from the state file). */
  enrolled: number;
  stateFile: string;
  stop(): Promise<void>;
}

export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Starts `devices` simulated devices against a control plane: credentials from the state file where it has them,
 * otherwise a fresh enrollment with the token (saved at once, so a crash does not waste token uses).
 */
export async function startSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const log = opts.log ?? pino({ name: "labfleet-sim", level: "info" });
  const url = opts.url.replace(/\/+$/, "");
  if (!Number.isInteger(opts.devices) || opts.devices < 1 || opts.devices > MAX_DEVICES) {
    throw new Error(`devices must be a whole number from 1 to ${MAX_DEVICES}`);
  }
  if (!opts.allowRemote && !isLoopbackUrl(url)) {
    throw new Error(`${url} is not a loopback address; pass --allow-remote to simulate against another machine`);
  }
  const stateFile = opts.stateFile ?? defaultStateFile(url);
  const baseSeed = opts.seed ?? 1;
  const known = readState(stateFile, url);
  const indices = Array.from({ length: opts.devices }, (_, i) => i);
  const missing = indices.filter((i) => !known.has(i));
  if (missing.length > 0 && !opts.token) {
    throw new Error(
      `${missing.length} device(s) are not enrolled yet: give an enrollment token (--token or LABFLEET_SIM_TOKEN)`,
    );
  }

  await mapLimit(missing, ENROLL_CONCURRENCY, async (index) => {
    const hostname = simHostname(index);
    const res = await enroll(url, opts.token as string, hostname, SIM_AGENT_VERSION);
    const cred: DeviceCredential = { index, hostname, deviceId: res.deviceId, secret: res.deviceSecret };
    known.set(index, cred);
    writeState(stateFile, url, known.values());
  });
  if (missing.length > 0) log.info({ enrolled: missing.length, stateFile }, "simulated devices enrolled");

  const sims = indices.map((index) => {
    const cred = known.get(index) as DeviceCredential;
    const seed = deviceSeed(baseSeed, index);
    const personality = opts.personalityFor?.(index) ?? pickPersonality(new Rng(seed ^ 0xbeef));
    const generated = makeHardware(seed, index);
    // A device forced hot must be able to say so: it always has a temperature sensor.
    const hw = personality === "hot" ? { ...generated, hasTempSensor: true } : generated;
    const model = new DeviceModel(seed, hw, personality);
    return new SimDevice(
      url,
      cred,
      model,
      makeInventory(hw, index, SIM_AGENT_VERSION),
      SIM_AGENT_VERSION,
      log,
      opts.intervalMs ?? null,
    );
  });
  for (const s of sims) s.start();

  const devices: SimulatedDevice[] = sims.map((s) => ({
    index: s.credential.index,
    hostname: s.credential.hostname,
    deviceId: s.credential.deviceId,
    personality: s.model.personality,
    get connected() {
      return s.connected;
    },
    get intervalMs() {
      return s.intervalMs;
    },
    get stats() {
      return s.stats;
    },
    get fatal() {
      return s.fatal;
    },
  }));

  let stopped = false;
  return {
    devices,
    enrolled: missing.length,
    stateFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sims) s.stop();
      // Let the close frames leave before the caller tears the server down.
      await new Promise((r) => setTimeout(r, 50));
    },
  };
}
