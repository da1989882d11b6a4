import { totalmem } from "node:os";
import pino from "pino";
import { collectRawSystemInfo, defaultInventoryMeta, mapInventory } from "../collectors/inventory.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { createLogger } from "../logger.ts";
import { AGENT_VERSION } from "../version.ts";

/** Prints the inventory as one JSON line on stdout; collector warnings go to stderr. */
export async function inventoryCommand(o: { out: (line: string) => void }): Promise<ExitCode> {
  const log = createLogger({ level: "warn", destination: pino.destination({ dest: 2, sync: true }) });
  const inventory = mapInventory(await collectRawSystemInfo(log), defaultInventoryMeta(AGENT_VERSION, totalmem()));
  o.out(JSON.stringify(inventory));
  return EXIT.OK;
}
