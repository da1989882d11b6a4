import { spawn } from "node:child_process";
import { type InventoryInput, inventorySchema } from "@labfleet/protocol";

const CHILD_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Collects the inventory in a short-lived child process (`labfleet-agent inventory`). systeminformation
 * spawns helpers and grows the heap while it probes the hardware; doing that in a child keeps the long-lived
 * agent small. The child is this same program, started the way this process was (node flags included).
 */
export function collectInventoryInChild(entry = process.argv[1] ?? ""): Promise<InventoryInput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, "inventory", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => {
      if (out.length < MAX_OUTPUT_BYTES) out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 4096) err += d;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`inventory collection exited with ${signal ?? code}: ${err.trim().slice(0, 300)}`));
        return;
      }
      try {
        const parsed = inventorySchema.safeParse(JSON.parse(out.trim().split("\n").at(-1) ?? ""));
        if (parsed.success) resolve(parsed.data);
        else reject(new Error(`inventory collection printed an invalid inventory: ${parsed.error.issues[0]?.message}`));
      } catch {
        reject(new Error("inventory collection printed something that is not JSON"));
      }
    });
  });
}
