import type { InventoryInput } from "@labfleet/protocol";
import { inventoryHash } from "../collectors/inventory-hash.ts";
import type { Logger } from "../logger.ts";
import { type AgentSocket, reportInventory } from "./reports.ts";

/** How often the inventory is collected again to notice a change (a new disk, a driver, a runtime). */
export const INVENTORY_RECHECK_MS = 10 * 60_000;

/**
 * Sends the inventory only when its fingerprint differs from the one the server holds. The server says which
 * it holds in the first `config:updated` of each connection; the agent then checks again every few minutes.
 */
export class InventorySync {
  /** The fingerprint the server holds; undefined while unknown (an older server that does not say). */
  private serverHash: string | null | undefined = undefined;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      collect: () => Promise<InventoryInput>;
      log: Logger;
      ackTimeoutMs: number;
      recheckMs?: number;
    },
  ) {}

  /** A new connection: the server's fingerprint (or undefined when it did not send one), then a sync. */
  async connected(socket: AgentSocket, serverHash: string | null | undefined): Promise<void> {
    this.serverHash = serverHash;
    await this.sync(socket, serverHash === undefined);
  }

  start(currentSocket: () => AgentSocket | null): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const socket = currentSocket();
      if (socket) void this.sync(socket, false);
    }, this.o.recheckMs ?? INVENTORY_RECHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sync(socket: AgentSocket, force: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const inventory = await this.o.collect();
      const hash = inventoryHash(inventory);
      if (!force && hash === this.serverHash) {
        this.o.log.debug({ inventoryHash: hash }, "inventory unchanged; not sent");
        return;
      }
      if (await reportInventory(socket, inventory, { log: this.o.log, ackTimeoutMs: this.o.ackTimeoutMs })) {
        this.serverHash = hash;
      }
    } catch (e) {
      this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, "cannot collect the inventory");
    } finally {
      this.busy = false;
    }
  }
}
