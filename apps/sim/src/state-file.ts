import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const deviceCredentialSchema = z.object({
  index: z.number().int().min(0),
  hostname: z.string(),
  deviceId: z.string().min(1).max(64),
  secret: z.string().min(1).max(256),
});
export type DeviceCredential = z.infer<typeof deviceCredentialSchema>;

const stateSchema = z.object({
  version: z.literal(1),
  /** Credentials belong to one server: a state file for another server is ignored. */
  server: z.string(),
  devices: z.array(deviceCredentialSchema),
});
export type SimState = z.infer<typeof stateSchema>;

/** Reads the state file; a missing, unreadable or foreign file means "no devices yet". */
export function readState(file: string, server: string): Map<number, DeviceCredential> {
  const byIndex = new Map<number, DeviceCredential>();
  if (!existsSync(file)) return byIndex;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return byIndex;
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success || parsed.data.server !== server) return byIndex;
  for (const d of parsed.data.devices) byIndex.set(d.index, d);
  return byIndex;
}

/** Writes atomically, readable by the owner only: it holds device secrets. */
export function writeState(file: string, server: string, devices: Iterable<DeviceCredential>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const state: SimState = {
    version: 1,
    server,
    devices: [...devices].sort((a, b) => a.index - b.index),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** One state file per server, so that pointing the simulator at another server never mixes identities. */
export function defaultStateFile(server: string): string {
  const slug = server.replace(/^https?:\/\//, "").replace(/[^a-zA-Z0-9]+/g, "_");
  return path.resolve("data", "sim", `${slug}.json`);
}
