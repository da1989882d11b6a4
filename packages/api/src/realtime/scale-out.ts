import { randomUUID } from "node:crypto";
import { RedisAdapter, type RedisAdapterOptions } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import type { Logger } from "../logger.ts";

type RedisClient = ReturnType<typeof createClient>;

export interface ScaleOutOptions {
  /** redis://host:port/db */
  url: string;
  log: Logger;
  /** Prefix of every key and channel, so that several fleets can share one Redis. */
  prefix?: string;
  /** How often presence and watches are refreshed and re-read; a dead process's devices go after 3 periods. */
  refreshMs?: number;
}

interface PresenceMessage {
  node: string;
  op: "up" | "down" | "watch";
  ids?: string[];
  rooms?: string[];
}

/** Deletes presence entries (device, process pairs in ARGV) only where the device is still held by that process. */
const CLEAR_IF_HELD_BY = `
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 1`;

/** What the hub tells the scale-out layer, and what it is told back. */
export interface ScaleOutHost {
  localDeviceIds(): string[];
  localWatchedRooms(): string[];
  /** Rooms that became watched or unwatched on another process. */
  remoteWatchesChanged(rooms: string[]): void;
}

/**
 * Several control-plane processes on one Redis: socket.io's Redis adapter (broadcasts, acks, remote disconnects
 * across processes), device presence (which process holds which device), and which dashboard rooms are watched
 * anywhere.
 *
 * Redis down: publishes fail at once (no offline queue), so every process keeps serving its own sockets; remote
 * devices read as offline until Redis is back. One log line when it goes, one when it returns.
 */
export class ScaleOut {
  readonly nodeId = randomUUID();
  private readonly pub: RedisClient;
  private readonly sub: RedisClient;
  private readonly prefix: string;
  private readonly refreshMs: number;
  private readonly log: Logger;
  /** device -> the process that holds it (other processes only). */
  private readonly remote = new Map<string, string>();
  /** process -> the dashboard rooms it watches, and when it last said so. */
  private readonly remoteWatches = new Map<string, { rooms: Set<string>; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  /** Presence changes heard while a refresh runs; null when none runs. */
  private duringRefresh: PresenceMessage[] | null = null;
  private host: ScaleOutHost | null = null;
  /**
   * Resolves at the subscriber's first connection. node-redis 4 throws from its socket handler (an uncaught
   * TypeError in `onReply`) when a subscription queued before the first connection meets a Redis that was not
   * there at the first attempt, so nothing subscribes before then; after it, node-redis re-subscribes by itself.
   */
  private readonly subscriberUp: Promise<void>;
  private healthy = false;
  private downLogged = false;
  private closed = false;

  constructor(options: ScaleOutOptions) {
    this.prefix = options.prefix ?? "labfleet";
    this.refreshMs = options.refreshMs ?? 5_000;
    this.log = options.log;
    // Publishes and presence writes fail fast while Redis is away instead of piling up in memory.
    this.pub = createClient({ url: options.url, disableOfflineQueue: true });
    // The subscriber keeps its queue: its subscriptions are (re)sent when the connection comes (back).
    this.sub = createClient({ url: options.url });
    this.subscriberUp = new Promise((resolve) => this.sub.once("ready", () => resolve()));
    for (const [name, client] of [
      ["publisher", this.pub],
      ["subscriber", this.sub],
    ] as const) {
      client.on("error", (err: Error) => this.markDown(name, err));
      client.on("ready", () => this.markUp());
    }
  }

  /** True while both Redis connections are up. */
  get connected(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  /** Connects (without waiting for Redis: a process starts and serves its own sockets while Redis is away). */
  start(host: ScaleOutHost): void {
    this.host = host;
    void this.subscriberUp
      .then(() => this.sub.subscribe(this.key("presence"), (raw) => this.onPresence(raw)))
      .catch((err: unknown) => this.log.debug({ err }, "presence subscription deferred"));
    this.pub.connect().catch((err: unknown) => this.markDown("publisher", err as Error));
    this.sub.connect().catch((err: unknown) => this.markDown("subscriber", err as Error));
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const mine = this.host?.localDeviceIds() ?? [];
    if (this.pub.isReady) {
      await this.pub
        .multi()
        .del(this.key(`node:${this.nodeId}`))
        .hDel(this.key("presence"), mine.length > 0 ? mine : ["-"])
        .exec()
        .catch(() => undefined);
    }
    // QUIT waits for a reply, which never comes while Redis is away.
    await Promise.allSettled([this.pub, this.sub].map((c) => (c.isReady ? c.quit() : c.disconnect())));
  }

  /**
   * The adapter class for socket.io's `adapter` option (constructed per namespace, with `new`): the official
   * @socket.io/redis-adapter on this process's two connections, its channels under this prefix.
   */
  adapter(): new (nsp: unknown) => RedisAdapter {
    const onError = (err: unknown) => this.log.debug({ err }, "scale-out message not sent");
    const pub = handledView(this.pub, onError, Promise.resolve());
    const sub = handledView(this.sub, onError, this.subscriberUp);
    const opts: Partial<RedisAdapterOptions> = { key: this.prefix, publishOnSpecificResponseChannel: true };
    return class extends HandledRedisAdapter {
      constructor(nsp: unknown) {
        super(nsp, pub, sub, opts);
      }
    };
  }

  isRemoteOnline(deviceId: string): boolean {
    return this.remote.has(deviceId);
  }

  remoteCount(): number {
    return this.remote.size;
  }

  remoteDeviceIds(): string[] {
    return [...this.remote.keys()];
  }

  /** Whether a dashboard on another process watches this room. */
  watchedElsewhere(room: string): boolean {
    const now = Date.now();
    for (const w of this.remoteWatches.values()) {
      if (now - w.at <= this.refreshMs * 3 && w.rooms.has(room)) return true;
    }
    return false;
  }

  deviceUp(deviceId: string): void {
    this.remote.delete(deviceId);
    if (!this.pub.isReady) return;
    this.pub
      .multi()
      .hSet(this.key("presence"), deviceId, this.nodeId)
      .publish(this.key("presence"), JSON.stringify({ node: this.nodeId, op: "up", ids: [deviceId] }))
      .exec()
      .catch((err: unknown) => this.log.debug({ err, deviceId }, "presence not written"));
  }

  deviceDown(deviceId: string): void {
    if (!this.pub.isReady) return;
    // Only this process's entry: the device may already be on another one.
    this.pub
      .eval(CLEAR_IF_HELD_BY, { keys: [this.key("presence")], arguments: [deviceId, this.nodeId] })
      .then(() =>
        this.pub.publish(this.key("presence"), JSON.stringify({ node: this.nodeId, op: "down", ids: [deviceId] })),
      )
      .catch((err: unknown) => this.log.debug({ err, deviceId }, "presence not cleared"));
  }

  /** Tells the other processes which rooms this one watches (on every change, and on every refresh). */
  announceWatches(): void {
    if (!this.pub.isReady || !this.host) return;
    const message: PresenceMessage = { node: this.nodeId, op: "watch", rooms: this.host.localWatchedRooms() };
    this.pub
      .publish(this.key("presence"), JSON.stringify(message))
      .catch((err: unknown) => this.log.debug({ err }, "watches not announced"));
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private markDown(client: string, err: Error): void {
    if (this.closed) return;
    // Once per outage (or once when Redis is not there at start), not once per reconnect attempt.
    if (!this.downLogged) {
      this.downLogged = true;
      this.log.error(
        { client, err: err.message },
        "Redis is unreachable: scale-out paused, this process serves only its own sockets until it returns",
      );
    }
    this.healthy = false;
    this.clearRemote();
  }

  private markUp(): void {
    if (!this.connected || this.healthy || this.closed) return;
    this.healthy = true;
    if (this.downLogged) this.log.warn("Redis is reachable again: scale-out resumed");
    else this.log.info({ node: this.nodeId }, "scale-out on Redis started");
    this.downLogged = false;
    void this.refresh();
  }

  private clearRemote(): void {
    const rooms = new Set<string>();
    for (const w of this.remoteWatches.values()) for (const r of w.rooms) rooms.add(r);
    this.remote.clear();
    this.remoteWatches.clear();
    if (rooms.size > 0) this.host?.remoteWatchesChanged([...rooms]);
  }

  private onPresence(raw: string): void {
    let m: PresenceMessage;
    try {
      m = JSON.parse(raw) as PresenceMessage;
    } catch {
      return;
    }
    if (m.node === this.nodeId || typeof m.node !== "string") return;
    // A refresh reading the whole map meanwhile may have read it before this change: it replays it after.
    if (m.op !== "watch") this.duringRefresh?.push(m);
    this.applyPresence(m);
  }

  private applyPresence(m: PresenceMessage): void {
    if (m.op === "up") for (const id of m.ids ?? []) this.remote.set(id, m.node);
    else if (m.op === "down") {
      for (const id of m.ids ?? []) if (this.remote.get(id) === m.node) this.remote.delete(id);
    } else if (m.op === "watch") {
      const before = this.remoteWatches.get(m.node)?.rooms ?? new Set<string>();
      const after = new Set(m.rooms ?? []);
      this.remoteWatches.set(m.node, { rooms: after, at: Date.now() });
      const changed = [...before].filter((r) => !after.has(r)).concat([...after].filter((r) => !before.has(r)));
      if (changed.length > 0) this.host?.remoteWatchesChanged(changed);
    }
  }

  /**
   * Keeps this process alive in Redis, re-asserts its devices (an outage may have let another process clear
   * them), drops the devices of processes that stopped refreshing, and re-reads the whole map: one HGETALL per
   * period, however many devices.
   */
  private async refresh(): Promise<void> {
    if (!this.connected || !this.host || this.closed || this.duringRefresh) return;
    this.duringRefresh = [];
    try {
      const presence = this.key("presence");
      const mine = this.host.localDeviceIds();
      const tx = this.pub.multi().set(this.key(`node:${this.nodeId}`), "1", { PX: this.refreshMs * 3 });
      if (mine.length > 0) tx.hSet(presence, Object.fromEntries(mine.map((id) => [id, this.nodeId])));
      await tx.exec();
      const all = await this.pub.hGetAll(presence);
      const nodes = [...new Set(Object.values(all))].filter((n) => n !== this.nodeId);
      const alive = new Set<string>();
      if (nodes.length > 0) {
        const flags = await this.pub.mGet(nodes.map((n) => this.key(`node:${n}`)));
        nodes.forEach((n, i) => {
          if (flags[i]) alive.add(n);
        });
      }
      const dead: Array<[string, string]> = [];
      this.remote.clear();
      for (const [id, node] of Object.entries(all)) {
        if (node === this.nodeId) continue;
        if (alive.has(node)) this.remote.set(id, node);
        else dead.push([id, node]);
      }
      for (const m of this.duringRefresh) this.applyPresence(m);
      // Only entries still naming the dead process: the device may have reconnected elsewhere since the read.
      if (dead.length > 0) {
        await this.pub.eval(CLEAR_IF_HELD_BY, { keys: [presence], arguments: dead.flat() });
      }
      // A device this process holds is its own, whatever an older entry said.
      for (const id of mine) this.remote.delete(id);
      const now = Date.now();
      for (const [node, w] of this.remoteWatches) {
        if (now - w.at > this.refreshMs * 3) {
          this.remoteWatches.delete(node);
          this.host.remoteWatchesChanged([...w.rooms]);
        }
      }
      this.announceWatches();
    } catch (err) {
      this.log.debug({ err }, "scale-out refresh failed");
    } finally {
      this.duringRefresh = null;
    }
  }
}

/**
 * The official adapter fires `publish`, `(p)subscribe` and `PUBSUB NUMSUB` and never handles their failure, and
 * socket.io does not catch a failed server count: while Redis is away each would be an unhandled rejection, which
 * ends a Node 20 process. So the adapter gets clients whose every promise is handled (`handledView`), and while
 * Redis cannot say how many processes listen, only this one counts: a broadcast with an ack waits for the local
 * sockets' answers only, and `fetchSockets` returns the local sockets.
 */
class HandledRedisAdapter extends RedisAdapter {
  override serverCount(): Promise<number> {
    return super.serverCount().catch(() => 1);
  }
}

/**
 * What @socket.io/redis-adapter calls on a node-redis 4 client (it recognises one by `pSubscribe` and `sSubscribe`),
 * each promise with a handler attached. The promise is still returned, so a caller that awaits it sees the failure.
 * (Un)subscriptions wait for `connectedOnce`, in the order they were asked for.
 */
function handledView(client: RedisClient, onError: (err: unknown) => void, connectedOnce: Promise<void>) {
  const handled = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(onError);
    return promise;
  };
  const later = <A extends unknown[]>(command: (...args: A) => Promise<void>) => {
    return (...args: A) => handled(connectedOnce.then(() => command.apply(client, args)));
  };
  const view = {
    publish: (channel: string, message: string | Buffer) => handled(client.publish(channel, message)),
    sendCommand: (args: string[]) => handled(client.sendCommand(args)),
    subscribe: later(client.subscribe),
    unsubscribe: later(client.unsubscribe),
    pSubscribe: later(client.pSubscribe),
    pUnsubscribe: later(client.pUnsubscribe),
    sSubscribe: later(client.sSubscribe),
    sUnsubscribe: later(client.sUnsubscribe),
    // The adapter adds an error listener that only warns when it is the client's sole one.
    on(event: string, listener: (...args: unknown[]) => void) {
      client.on(event, listener);
      return view;
    },
    off(event: string, listener: (...args: unknown[]) => void) {
      client.off(event, listener);
      return view;
    },
  };
  return view;
}
